/** The search box's little language: `from:ann subject:"q3 report" after:2026-01-01 words`. */
export interface SearchTerms {
  from?: string;
  to?: string;
  subject?: string;
  body?: string;
  text?: string;
  since?: string;
  before?: string;
}

const KEYS: Record<string, keyof SearchTerms> = {
  from: "from",
  to: "to",
  subject: "subject",
  body: "body",
  after: "since",
  since: "since",
  before: "before",
};

export function parseSearch(input: string): SearchTerms {
  const terms: SearchTerms = {};
  const free: string[] = [];
  for (const match of input.matchAll(/(\w+):("([^"]*)"|\S+)|"([^"]*)"|(\S+)/g)) {
    const key = match[1]?.toLowerCase();
    const value = match[3] ?? match[2] ?? match[4] ?? match[5] ?? "";
    const field = key === undefined ? undefined : KEYS[key];
    if (field !== undefined) terms[field] = value;
    else free.push(match[0].replace(/^"|"$/g, ""));
  }
  if (free.length > 0) terms.text = free.join(" ");
  return terms;
}
