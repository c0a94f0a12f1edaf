/**
 * Modified UTF-7 (RFC 3501 §5.1.3): how IMAP4rev1 clients spell mailbox names, and how Maildir++
 * folder names are written on disk (Dovecot and Courier do the same). Printable ASCII stands for
 * itself except "&", written "&-"; other characters are UTF-16 in base64 (with "," for "/")
 * between "&" and "-".
 */

export function encodeMutf7(text: string): string {
  let out = "";
  let pending = "";
  const flush = (): void => {
    if (pending === "") return;
    const bytes = Buffer.from(pending, "utf16le").swap16();
    out += `&${bytes.toString("base64").replace(/=+$/, "").replace(/\//g, ",")}-`;
    pending = "";
  };
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += char === "&" ? "&-" : char;
    } else pending += char;
  }
  flush();
  return out;
}

/** Decodes modified UTF-7; malformed input is returned as it stands. */
export function decodeMutf7(text: string): string {
  return text.replace(/&([A-Za-z0-9+,]*)-/g, (match, encoded: string) => {
    if (encoded === "") return "&";
    const bytes = Buffer.from(encoded.replace(/,/g, "/"), "base64");
    if (bytes.length % 2 !== 0) return match;
    return Buffer.from(bytes).swap16().toString("utf16le");
  });
}
