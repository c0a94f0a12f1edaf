/**
 * Whether a subject marks a reply or forward in the sense of RFC 5256 §2.1 (a "Re:"/"Fwd:"
 * leader, a "(fwd)" trailer or a "[fwd: ...]" wrapper), after RFC 2047 decoding. THREAD
 * REFERENCES uses it to choose which of two same-subject threads parents the other.
 */
const LEADER = /^[ \t]*(?:\[[^[\]]*\][ \t]*)*(?:re|fwd?)[ \t]*(?:\[[^[\]]*\])?[ \t]*:/i;
const TRAILER = /\(fwd\)[ \t]*$/i;
const WRAPPER = /^[ \t]*(?:\[[^[\]]*\][ \t]*)*\[fwd:/i;
const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

function decodeWords(raw: string): string {
  return raw
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(ENCODED_WORD, (_, charset: string, mode: string, text: string) => {
      const bytes =
        mode.toUpperCase() === "B"
          ? Buffer.from(text, "base64")
          : Buffer.from(
              text
                .replace(/_/g, " ")
                .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) =>
                  String.fromCharCode(parseInt(hex, 16)),
                ),
              "latin1",
            );
      try {
        return new TextDecoder(charset.toLowerCase().replace(/\*.*$/, "")).decode(bytes);
      } catch {
        return bytes.toString("latin1");
      }
    });
}

export function isReplySubject(raw: string | null): boolean {
  if (raw === null) return false;
  const subject = decodeWords(raw.replace(/\r?\n[ \t]+/g, " "));
  return LEADER.test(subject) || TRAILER.test(subject) || WRAPPER.test(subject);
}
