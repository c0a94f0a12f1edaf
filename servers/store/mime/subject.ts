/**
 * RFC 5256 §2.1 base subject: the subject with reply/forward markers, mailing-list tags and
 * "(fwd)" trailers removed, used by SORT SUBJECT and THREAD ORDEREDSUBJECT/REFERENCES.
 * Input is already decoded (RFC 2047) text, as step (1) asks.
 */

// subj-blob: "[" *BLOBCHAR "]" *WSP, where BLOBCHAR excludes "[" and "]".
const BLOB = String.raw`\[[^[\]]*\][ \t]*`;
// subj-refwd: ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
const LEADER = new RegExp(String.raw`^[ \t]*(?:${BLOB})*(?:re|fwd?)[ \t]*(?:${BLOB})?:[ \t]*`, "i");
const LEADING_BLOB = new RegExp(String.raw`^[ \t]*${BLOB}`);
const TRAILER = /(?:[ \t]*\(fwd\))+[ \t]*$|[ \t]+$/i;
const FWD_WRAPPER = /^\[fwd:(.*)\]$/i;

export interface SubjectFacts {
  /** The base subject (not yet case-folded). */
  readonly base: string;
  /**
   * Whether extraction removed a reply/forward marker: a "Re:"/"Fwd:" leader, a "(fwd)" trailer
   * or a "[fwd: ...]" wrapper (RFC 5256 §2.1). THREAD REFERENCES uses it (§2.2 step 5).
   */
  readonly isReply: boolean;
}

export function subjectFacts(subject: string): SubjectFacts {
  // (1) Whitespace runs, including folding, become one space.
  let s = subject.replace(/[\r\n\t ]+/g, " ");
  let isReply = false;
  for (;;) {
    // (2) Remove trailers: "(fwd)" and whitespace at the end, repeatedly.
    let previous: string;
    do {
      previous = s;
      s = s.replace(TRAILER, (trailer) => {
        if (trailer.trim() !== "") isReply = true;
        return "";
      });
    } while (s !== previous);
    // (3)+(4) Remove leaders and blobs, repeatedly; a blob is kept if nothing would remain.
    do {
      previous = s;
      if (LEADER.test(s)) {
        isReply = true;
        s = s.replace(LEADER, "");
      }
      s = s.replace(/^[ \t]+/, "");
      const withoutBlob = s.replace(LEADING_BLOB, "");
      if (withoutBlob !== s && withoutBlob.trim() !== "") s = withoutBlob;
    } while (s !== previous);
    // (6) "[fwd: ... ]" wrapped around the whole subject: unwrap and start again at (2).
    const wrapped = FWD_WRAPPER.exec(s);
    if (!wrapped) break;
    isReply = true;
    s = wrapped[1] ?? "";
  }
  return { base: s.trim(), isReply };
}

export function baseSubject(subject: string): string {
  return subjectFacts(subject).base;
}
