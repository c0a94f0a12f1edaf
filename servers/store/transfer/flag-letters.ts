/**
 * Flags as Maildir filename letters (cr.yp.to/proto/maildir.html "info" section: D draft,
 * F flagged, P passed, R replied, S seen, T trashed, in ASCII order) and as mbox Status /
 * X-Status letters (the mutt / Dovecot convention). Keywords use Dovecot's lowercase letters
 * a-z, listed per folder in `dovecot-keywords`.
 */

const MAILDIR: readonly (readonly [string, string])[] = [
  ["D", "\\Draft"],
  ["F", "\\Flagged"],
  ["P", "$Forwarded"],
  ["R", "\\Answered"],
  ["S", "\\Seen"],
  ["T", "\\Deleted"],
];

/** Maildir info letters for flags; keywords map through `keywordLetter` (a-z) when given. */
export function maildirLetters(
  flags: readonly string[],
  keywordLetter: (keyword: string) => string | undefined,
): string {
  const lower = new Set(flags.map((f) => f.toLowerCase()));
  const letters = MAILDIR.filter(([, flag]) => lower.has(flag.toLowerCase())).map(([l]) => l);
  for (const flag of flags) {
    if (flag.startsWith("\\") || flag.toLowerCase() === "$forwarded") continue;
    const letter = keywordLetter(flag);
    if (letter) letters.push(letter);
  }
  return [...new Set(letters)].sort().join("");
}

export function flagsFromMaildirLetters(
  letters: string,
  keywords: ReadonlyMap<string, string>,
): string[] {
  const flags: string[] = [];
  for (const letter of letters) {
    const system = MAILDIR.find(([l]) => l === letter);
    if (system) flags.push(system[1]);
    else {
      const keyword = keywords.get(letter);
      if (keyword) flags.push(keyword);
    }
  }
  return flags;
}

/** mbox "Status" (R read, O old) and "X-Status" (A answered, F flagged, T draft, D deleted). */
export function mboxStatus(flags: readonly string[]): { status: string; xStatus: string } {
  const has = (flag: string): boolean => flags.some((f) => f.toLowerCase() === flag.toLowerCase());
  return {
    status: has("\\Seen") ? "RO" : "O",
    xStatus: [
      has("\\Answered") ? "A" : "",
      has("\\Flagged") ? "F" : "",
      has("\\Draft") ? "T" : "",
      has("\\Deleted") ? "D" : "",
    ].join(""),
  };
}

export function flagsFromMboxStatus(status: string, xStatus: string): string[] {
  const flags: string[] = [];
  if (status.includes("R")) flags.push("\\Seen");
  if (xStatus.includes("A")) flags.push("\\Answered");
  if (xStatus.includes("F")) flags.push("\\Flagged");
  if (xStatus.includes("T")) flags.push("\\Draft");
  if (xStatus.includes("D")) flags.push("\\Deleted");
  return flags;
}
