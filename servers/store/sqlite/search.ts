/**
 * SEARCH (RFC 9051 §6.4.4) compiled to one SQL query over the mailbox's rows, joined to the
 * search columns kept at append time: header keys compare decoded text in search form, so a
 * search over 100,000 messages reads small columns and never a message. UID sets too large to
 * spell as SQL go through a JS function; so does HEADER on a field without its own column.
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { systemFlagBit } from "../flags.ts";
import type { Address } from "../mime/address.ts";
import { addressSearchText, addressSortKey, displaySortKey } from "../mime/address-keys.ts";
import { searchForm } from "../mime/encoding.ts";
import type { Day, SearchKey } from "../search-key.ts";
import { inUidSet, normalizeUidSet } from "../uid-set.ts";
import { accountDir, readBlob } from "./blobs.ts";
import type { Database } from "./database.ts";
import { CHUNK_SPAN } from "./schema.ts";
import { canonicalKeyword } from "./keywords.ts";

/** Header fields with their own column (the SEARCH keys FROM, TO, CC, BCC, SUBJECT). */
const COLUMNS: Readonly<Record<string, string>> = {
  subject: "c.s_subject",
  from: "c.s_from",
  to: "c.s_to",
  cc: "c.s_cc",
  bcc: "c.s_bcc",
};

/** Address fields: besides the header text, the envelope's addresses (comments dropped). */
const ADDRESS_FIELDS = new Set(["from", "to", "cc", "bcc"]);

/** UID sets with more ranges than this are tested in JS rather than spelled as SQL. */
const MAX_SQL_RANGES = 32;

export interface CompiledSearch {
  readonly where: string;
  readonly params: SQLInputValue[];
  /** Tables the condition reads besides messages (m): contents c, header_texts h, body_texts b. */
  readonly joins: ReadonlySet<"c" | "h" | "b">;
}

const uidSets = new Map<number, [number, number][]>();
let nextUidSet = 1;
const registered = new WeakSet<DatabaseSync>();

function registerFunctions(d: Database): void {
  const db = d.db;
  if (registered.has(db)) return;
  const dir = accountDir(d);
  // A raw body kept in a file, in the search form of a raw body (body_raw: printable ASCII).
  db.function("blob_text", (name) =>
    Buffer.from(readBlob(dir, String(name)))
      .toString("latin1")
      .toLowerCase(),
  );
  db.function("uid_in_set", { deterministic: true }, (set, uid) =>
    inUidSet(uidSets.get(Number(set)) ?? [], Number(uid)) ? 1 : 0,
  );
  db.function("header_match", { deterministic: true }, (text, prefix, needle) => {
    const p = String(prefix);
    const n = String(needle);
    for (const line of String(text).split("\n")) {
      if (line.startsWith(p) && line.includes(n, p.length)) return 1;
    }
    return 0;
  });
  const address = (json: SQLInputValue): Address | undefined =>
    typeof json === "string" ? (JSON.parse(json) as Address) : undefined;
  db.function("address_sort_key", { deterministic: true }, (first) =>
    addressSortKey(address(first)),
  );
  db.function("display_sort_key", { deterministic: true }, (first) =>
    displaySortKey(address(first)),
  );
  db.function("address_match", { deterministic: true }, (list, needle) => {
    if (typeof list !== "string") return 0;
    return addressSearchText(JSON.parse(list) as Address[]).includes(String(needle)) ? 1 : 0;
  });
  registered.add(db);
}

function dayOf(day: Day): number {
  return Math.floor(Date.UTC(day.year, day.month - 1, day.day) / 86_400_000);
}

const OPERATORS = { before: "<", on: "=", since: ">=" } as const;

class Compiler {
  readonly params: SQLInputValue[] = [];
  readonly joins = new Set<"c" | "h" | "b">();
  readonly sets: number[] = [];

  constructor(private readonly d: Database) {}

  compile(key: SearchKey): string {
    switch (key.type) {
      case "all":
        return "1";
      case "flag": {
        const bit = systemFlagBit(key.flag);
        if (bit !== undefined) return `(m.flags & ${bit}) ${key.set ? "!=" : "="} 0`;
        const keyword = canonicalKeyword(this.d, key.flag);
        if (keyword === undefined) return key.set ? "0" : "1";
        this.params.push(` ${keyword} `);
        return `instr(m.keywords, ?) ${key.set ? ">" : "="} 0`;
      }
      case "uid": {
        const ranges = normalizeUidSet(key.uids);
        if (ranges.length === 0) return "0";
        if (ranges.length <= MAX_SQL_RANGES) {
          this.params.push(...ranges.flat());
          return `(${ranges.map(() => "m.uid BETWEEN ? AND ?").join(" OR ")})`;
        }
        const id = nextUidSet++;
        uidSets.set(id, ranges);
        this.sets.push(id);
        this.params.push(id);
        return "uid_in_set(?, m.uid)";
      }
      case "header":
        return this.header(key.field.toLowerCase(), searchForm(key.value));
      case "body":
        return this.body(searchForm(key.value));
      case "text": {
        this.joins.add("h");
        const value = searchForm(key.value);
        this.params.push(value);
        return `(instr(h.text, ?) > 0 OR ${this.body(value)})`;
      }
      case "date": {
        this.params.push(dayOf(key.day));
        const op = OPERATORS[key.op];
        if (key.field === "internal") {
          return `((m.internal_time + m.internal_zone * 60000) / 86400000) ${op} ?`;
        }
        this.joins.add("c");
        return `(c.sent_time IS NOT NULL AND ((c.sent_time + c.sent_zone * 60000) / 86400000) ${op} ?)`;
      }
      case "age":
        this.params.push(Date.now() - key.seconds * 1000);
        return key.op === "older" ? "m.internal_time <= ?" : "m.internal_time > ?";
      case "size":
        this.params.push(key.bytes);
        return key.op === "larger" ? "m.size > ?" : "m.size < ?";
      case "modseq":
        this.params.push(key.modseq);
        return "m.modseq >= ?";
      case "not":
        return `NOT (${this.compile(key.key)})`;
      case "or":
        return `((${this.compile(key.left)}) OR (${this.compile(key.right)}))`;
      case "and":
        return key.keys.length === 0
          ? "1"
          : key.keys.map((k) => `(${this.compile(k)})`).join(" AND ");
    }
  }

  /**
   * Body text: the kept search text, or for a body stored as its own search text (plain ASCII
   * text/plain, contents.body_raw) the body chunk itself, lowercased; such a body fits in one
   * chunk, the first after the header, or is in its file (contents.blob).
   */
  private body(value: string): string {
    this.joins.add("b");
    this.joins.add("c");
    this.params.push(value, value);
    const chunk = `lower(CAST((SELECT data FROM chunks WHERE id = c.id * ${CHUNK_SPAN} + 1) AS TEXT))`;
    return (
      "(coalesce(instr(b.text, ?), 0) > 0 OR (c.body_raw = 1 AND coalesce(instr(CASE WHEN " +
      `c.blob IS NULL THEN ${chunk} ELSE blob_text(c.blob) END, ?), 0) > 0))`
    );
  }

  private header(field: string, value: string): string {
    const column = COLUMNS[field];
    if (column && value !== "") {
      this.joins.add("c");
      this.params.push(value);
      if (!ADDRESS_FIELDS.has(field)) return `instr(${column}, ?) > 0`;
      // A comment inside an address ("<user (x)@host>") hides it from the header text: such
      // headers, and only those, are matched on their envelope addresses too.
      this.params.push(value);
      return `(instr(${column}, ?) > 0 OR (instr(${column}, '(') > 0 AND address_match(json_extract(c.envelope, '$.${field}'), ?)))`;
    }
    this.joins.add("h");
    const prefix = `${field}: `;
    if (value === "") {
      // An empty string matches every message that has the field (RFC 9051 §6.4.4 HEADER).
      this.params.push(prefix);
      return "header_match(h.text, ?, '')";
    }
    this.params.push(value, prefix, value);
    return "(instr(h.text, ?) > 0 AND header_match(h.text, ?, ?))";
  }
}

/** FROM clause for a compiled search (and the joins sort keys need). */
export function fromClause(joins: ReadonlySet<string>): string {
  let sql = "messages m";
  if (joins.has("c")) sql += " JOIN contents c ON c.id = m.content_id";
  if (joins.has("h")) sql += " JOIN header_texts h ON h.content_id = m.content_id";
  if (joins.has("b")) sql += " LEFT JOIN body_texts b ON b.content_id = m.content_id";
  return sql;
}

/** Runs `fn` with the compiled condition; registered UID sets are released afterwards. */
export function withSearch<T>(
  d: Database,
  keys: readonly SearchKey[],
  fn: (compiled: CompiledSearch) => T,
): T {
  registerFunctions(d);
  const compiler = new Compiler(d);
  try {
    const where = compiler.compile({ type: "and", keys });
    return fn({ where, params: compiler.params, joins: compiler.joins });
  } finally {
    for (const id of compiler.sets) uidSets.delete(id);
  }
}

export function search(d: Database, mailboxId: number, keys: readonly SearchKey[]): number[] {
  return withSearch(d, keys, ({ where, params, joins }) => {
    const rows = d.db
      .prepare(
        `SELECT m.uid FROM ${fromClause(joins)} WHERE m.mailbox_id = ? AND (${where}) ORDER BY m.uid`,
      )
      .all(mailboxId, ...params) as { uid: number }[];
    return rows.map((r) => r.uid);
  });
}
