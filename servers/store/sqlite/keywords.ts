/**
 * Keyword spellings. IMAP keywords compare case-insensitively, so "$label1" and "$Label1" are
 * one keyword; the account remembers the first spelling and uses it everywhere.
 */
import type { Database } from "./database.ts";

/** Canonical spellings for `keywords`, registering new ones (inside a write transaction). */
export function resolveKeywords(d: Database, keywords: readonly string[]): string[] {
  return keywords.map((keyword) => {
    const lower = keyword.toLowerCase();
    d.stmt("INSERT OR IGNORE INTO keywords (lower, spelling) VALUES (?, ?)").run(lower, keyword);
    return canonicalKeyword(d, keyword) ?? keyword;
  });
}

/** The stored spelling of a keyword, or undefined if no message ever had it. */
export function canonicalKeyword(d: Database, keyword: string): string | undefined {
  const row = d.stmt("SELECT spelling FROM keywords WHERE lower = ?").get(keyword.toLowerCase()) as
    { spelling: string } | undefined;
  return row?.spelling;
}

export function listKeywords(d: Database): string[] {
  return (
    d.stmt("SELECT spelling FROM keywords ORDER BY lower").all() as { spelling: string }[]
  ).map((r) => r.spelling);
}
