/**
 * `mailstack export` / `import` of one user as mbox files (mboxrd: lines matching ">*From " in a
 * message get one more ">", so unquoting is exact), one file per mailbox: "Work/Reports" is
 * `Work/Reports.mbox`. Flags go in the Status / X-Status / X-Keywords headers that mutt and
 * Dovecot read. Those headers change the message, so the export puts them after an
 * `X-Mailstack-Meta` line that records them, and our import removes exactly what was added:
 * the round trip gives back every message byte for byte. Other mbox files import with the
 * flags their Status headers give, bytes kept.
 *
 * Works through the Account interface only, and one message at a time, so large mailboxes do
 * not have to fit in memory.
 */
import { createReadStream } from "node:fs";
import { mkdir, open, readdir } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { DELIMITER } from "../mailbox-name.ts";
import type { Account, InternalDate } from "../types.ts";
import { flagsFromMboxStatus, mboxStatus } from "./flag-letters.ts";
import { decodeLevel, encodeLevel } from "./folder-names.ts";
import { appendAll, toCrlf, type ImportedMessage, type TransferResult } from "./import-queue.ts";
import { ensureMailbox } from "./maildir.ts";

const META = "X-Mailstack-Meta: ";
const GROUP = 64;

interface Meta {
  /** Flags and keywords. */
  readonly f: readonly string[];
  /** INTERNALDATE time and zone. */
  readonly t: number;
  readonly z: number;
  /** The message's length in bytes, to drop the newline added to end a last line. */
  readonly n: number;
  /** Header lines added after the meta line. */
  readonly h: number;
  /** The mailbox's special-use role, on the first message of a file. */
  readonly u?: string | null;
}

function asctime(time: number): string {
  // The "From " line date is asctime(3) format in UTC: "Thu Jan  1 00:00:00 2024".
  const d = new Date(time);
  const [day, , mon, year, clock] = d.toUTCString().replace(",", "").split(" ");
  return `${day} ${mon} ${String(d.getUTCDate()).padStart(2, " ")} ${clock} ${year}`;
}

export function mboxPath(dir: string, name: string): string {
  return `${join(dir, ...name.split(DELIMITER).map(encodeLevel))}.mbox`;
}

export async function exportMbox(account: Account, dir: string): Promise<TransferResult> {
  let messages = 0;
  const boxes = await account.listMailboxes();
  for (const box of boxes) {
    const path = mboxPath(dir, box.name);
    await mkdir(dirname(path), { recursive: true });
    const file = await open(path, "w");
    try {
      const view = await account.openMailbox(box.id);
      let first = true;
      for (const summary of await view.list()) {
        const raw = await view.read(summary.uid);
        if (!raw) continue;
        const { status, xStatus } = mboxStatus(summary.flags);
        const keywords = summary.flags.filter((f) => !f.startsWith("\\"));
        const added = [
          `Status: ${status}`,
          `X-Status: ${xStatus}`,
          `X-Keywords: ${keywords.join(" ")}`,
        ];
        const meta: Meta = {
          f: summary.flags,
          t: summary.internalDate.time,
          z: summary.internalDate.zoneMinutes,
          n: raw.byteLength,
          h: added.length,
          ...(first ? { u: box.specialUse } : {}),
        };
        first = false;
        const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
          .toString("latin1")
          .replace(/^(>*From )/gm, ">$1");
        const ending = text.endsWith("\n") ? "" : "\n";
        const entry =
          `From MAILER-DAEMON ${asctime(summary.internalDate.time)}\n` +
          `${META}${JSON.stringify(meta)}\n${added.join("\n")}\n${text}${ending}\n`;
        await file.write(Buffer.from(entry, "latin1"));
        messages++;
      }
      await file.sync();
    } finally {
      await file.close();
    }
  }
  return { mailboxes: boxes.length, messages };
}

async function mboxFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await mboxFiles(path)));
    else if (entry.name.endsWith(".mbox")) out.push(path);
  }
  return out.sort();
}

function parseEntry(
  fromLine: string,
  body: string,
): { raw: Uint8Array; flags: string[]; date: InternalDate; meta?: Meta } {
  // The blank line before the next "From " belongs to the separator.
  let text = body.endsWith("\n") ? body.slice(0, -1) : body;
  let meta: Meta | undefined;
  if (text.startsWith(META)) {
    const end = text.indexOf("\n");
    meta = JSON.parse(text.slice(META.length, end)) as Meta;
    let at = end + 1;
    for (let i = 0; i < meta.h; i++) at = text.indexOf("\n", at) + 1;
    text = text.slice(at);
  }
  text = text.replace(/^>(>*From )/gm, "$1");
  if (meta) {
    return {
      raw: Buffer.from(text.slice(0, meta.n), "latin1"),
      flags: [...meta.f],
      date: { time: meta.t, zoneMinutes: meta.z },
      meta,
    };
  }
  const header = text.slice(0, Math.max(0, text.search(/\r?\n\r?\n/)));
  const field = (name: string): string =>
    new RegExp(`^${name}:[ \\t]*(.*?)\\r?$`, "im").exec(header)?.[1] ?? "";
  const flags = flagsFromMboxStatus(field("Status"), field("X-Status"));
  for (const k of field("X-Keywords").split(/[\s,]+/)) if (k !== "") flags.push(k);
  const when = Date.parse(fromLine.replace(/^From \S+\s+/, "") + " UTC");
  return {
    raw: toCrlf(Buffer.from(text, "latin1")),
    flags,
    date: { time: Number.isNaN(when) ? Date.now() : when, zoneMinutes: 0 },
  };
}

/** Imports every `*.mbox` under `dir`, creating mailboxes as needed. */
export async function importMbox(account: Account, dir: string): Promise<TransferResult> {
  const files = await mboxFiles(dir);
  let messages = 0;
  for (const path of files) {
    const name = relative(dir, path)
      .slice(0, -".mbox".length)
      .split(sep)
      .map(decodeLevel)
      .join(DELIMITER);
    let target: number | undefined;
    let group: ImportedMessage[] = [];
    const flushGroup = async (): Promise<void> => {
      if (target === undefined) target = await ensureMailbox(account, name, null);
      messages += await appendAll(account, target, group);
      group = [];
    };
    const finish = async (fromLine: string, lines: string[]): Promise<void> => {
      const entry = parseEntry(fromLine, lines.join(""));
      if (target === undefined) target = await ensureMailbox(account, name, entry.meta?.u ?? null);
      group.push({ load: () => Promise.resolve(entry.raw), flags: entry.flags, date: entry.date });
      if (group.length >= GROUP) await flushGroup();
    };
    let fromLine: string | undefined;
    let lines: string[] = [];
    let previousBlank = true;
    let partial = "";
    const handle = async (line: string): Promise<void> => {
      if (line.startsWith("From ") && previousBlank) {
        if (fromLine !== undefined) await finish(fromLine, lines);
        fromLine = line;
        lines = [];
        previousBlank = false;
        return;
      }
      lines.push(line);
      previousBlank = line === "\n";
    };
    for await (const chunk of createReadStream(path, { encoding: "latin1" })) {
      const parts = (partial + String(chunk)).split("\n");
      partial = parts.pop() ?? "";
      for (const part of parts) await handle(`${part}\n`);
    }
    if (partial !== "") await handle(partial);
    if (fromLine !== undefined) await finish(fromLine, lines);
    await flushGroup();
  }
  return { mailboxes: files.length, messages };
}
