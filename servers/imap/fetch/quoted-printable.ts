/**
 * Quoted-printable decoding for BINARY (RFC 3516) by the rules of RFC 2045 §6.7: trailing
 * white space on an encoded line is not data (rule 3), "=" at the end of a line (before any
 * such white space) is a soft line break (rule 5), "=XX" is an octet; anything malformed is kept
 * as it stands (the robustness advice of §6.7). Line breaks come out as CRLF.
 */
const HEX = /^[0-9A-Fa-f]{2}$/;

export function decodeQuotedPrintable(input: Uint8Array): Buffer {
  const text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("latin1");
  const lines = text.split(/\r?\n/);
  const out: number[] = [];
  lines.forEach((raw, index) => {
    let line = raw.replace(/[ \t]+$/, "");
    const soft = line.endsWith("=");
    if (soft) line = line.slice(0, -1);
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      const hex = line.slice(i + 1, i + 3);
      if (c === 0x3d && HEX.test(hex)) {
        out.push(parseInt(hex, 16));
        i += 2;
      } else out.push(c & 0xff);
    }
    if (!soft && index < lines.length - 1) out.push(0x0d, 0x0a);
  });
  return Buffer.from(out);
}
