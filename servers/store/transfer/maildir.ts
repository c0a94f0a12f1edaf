/**
 * `mailstack export` / `import` of one user as a Maildir++ tree (the layout Dovecot and Courier
 * use, readable by mutt, mbsync and offlineimap): INBOX at the root, other mailboxes as
 * ".Level1.Level2" folders, each with cur/new/tmp. Messages are written byte for byte; flags are
 * filename letters, keywords letters listed in `dovecot-keywords`; INTERNALDATE is the file's
 * mtime. A `mailstack.json` beside them keeps what Maildir cannot say (keywords past 26, the
 * INTERNALDATE zone, special-use roles), so a round trip restores everything.
 *
 * Works through the Account interface only, so it serves any backend.
 */
import { mkdir, readdir, readFile, rename, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { isSpecialUse } from "../mailbox-name.ts";
import type { Account, InternalDate, SpecialUse } from "../types.ts";
import { flagsFromMaildirLetters, maildirLetters } from "./flag-letters.ts";
import { mailboxFromMaildirFolder, maildirFolder } from "./folder-names.ts";
import { appendAll, toCrlf, type ImportedMessage, type TransferResult } from "./import-queue.ts";

interface FolderMeta {
  readonly specialUse: SpecialUse | null;
  /** Per file: flags the letters cannot carry, and the INTERNALDATE with its zone. */
  readonly messages: Record<string, { keywords?: string[]; time: number; zone: number }>;
}

const KEYWORD_LETTERS = "abcdefghijklmnopqrstuvwxyz";

export async function exportMaildir(account: Account, dir: string): Promise<TransferResult> {
  let messages = 0;
  const boxes = await account.listMailboxes();
  const host = hostname().replace(/[/:]/g, "_");
  for (const box of boxes) {
    const folder = join(dir, maildirFolder(box.name));
    for (const sub of ["cur", "new", "tmp"]) await mkdir(join(folder, sub), { recursive: true });
    const view = await account.openMailbox(box.id);
    // Keyword (lowercase) -> its letter and spelling, in order of first use in this folder.
    const letters = new Map<string, { letter: string; spelling: string }>();
    const meta: FolderMeta = { specialUse: box.specialUse, messages: {} };
    const letterOf = (keyword: string): string | undefined => {
      const key = keyword.toLowerCase();
      const letter = KEYWORD_LETTERS[letters.size];
      if (!letters.has(key) && letter) letters.set(key, { letter, spelling: keyword });
      return letters.get(key)?.letter;
    };
    for (const summary of await view.list()) {
      const raw = await view.read(summary.uid);
      if (!raw) continue; // expunged meanwhile
      const seconds = Math.floor(summary.internalDate.time / 1000);
      const info = maildirLetters(summary.flags, letterOf);
      const name = `${seconds}.M${summary.uid}P${process.pid}.${host},S=${raw.byteLength}:2,${info}`;
      // tmp/ then rename into cur/, the Maildir delivery rule: no reader sees a partial file.
      await writeFile(join(folder, "tmp", name), raw);
      await rename(join(folder, "tmp", name), join(folder, "cur", name));
      await utimes(join(folder, "cur", name), seconds, summary.internalDate.time / 1000);
      const keywords = summary.flags.filter((f) => !f.startsWith("\\"));
      meta.messages[name] = {
        ...(keywords.some((k) => !letters.has(k.toLowerCase())) ? { keywords } : {}),
        time: summary.internalDate.time,
        zone: summary.internalDate.zoneMinutes,
      };
      messages++;
    }
    await writeFile(
      join(folder, "dovecot-keywords"),
      [...letters.values()]
        .map(({ letter, spelling }) => `${KEYWORD_LETTERS.indexOf(letter)} ${spelling}\n`)
        .join(""),
    );
    await writeFile(join(folder, "mailstack.json"), JSON.stringify(meta) + "\n");
  }
  await writeFile(
    join(dir, "subscriptions"),
    (await account.listSubscriptions()).map((n) => `${n}\n`).join(""),
  );
  return { mailboxes: boxes.length, messages };
}

async function readKeywords(folder: string): Promise<Map<string, string>> {
  const text = await readFile(join(folder, "dovecot-keywords"), "utf8").catch(() => "");
  const map = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^(\d+) (\S+)$/.exec(line.trim());
    const letter = match && KEYWORD_LETTERS[Number(match[1])];
    if (match?.[2] && letter) map.set(letter, match[2]);
  }
  return map;
}

async function readMeta(folder: string): Promise<FolderMeta | undefined> {
  const text = await readFile(join(folder, "mailstack.json"), "utf8").catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as FolderMeta);
}

async function isMaildir(path: string): Promise<boolean> {
  return (await stat(join(path, "cur")).catch(() => undefined))?.isDirectory() ?? false;
}

/** Imports a Maildir++ tree into the account, creating mailboxes as needed. */
export async function importMaildir(account: Account, dir: string): Promise<TransferResult> {
  const folders: string[] = [];
  if (await isMaildir(dir)) folders.push("");
  for (const entry of (await readdir(dir)).sort()) {
    if (entry.startsWith(".") && entry !== "." && entry !== "..") {
      if (await isMaildir(join(dir, entry))) folders.push(entry);
    }
  }
  let messages = 0;
  for (const folderName of folders) {
    const folder = join(dir, folderName);
    const name = mailboxFromMaildirFolder(folderName);
    const keywords = await readKeywords(folder);
    const meta = await readMeta(folder);
    const target = await ensureMailbox(account, name, meta?.specialUse ?? null);
    const files: { path: string; name: string }[] = [];
    for (const sub of ["new", "cur"]) {
      for (const file of await readdir(join(folder, sub)).catch(() => [])) {
        if (!file.startsWith(".")) files.push({ path: join(folder, sub, file), name: file });
      }
    }
    // Delivery order: the leading timestamp, then our "M<uid>" (or the name) within a second.
    const order = (n: string): [number, number] => [
      Number(/^(\d+)/.exec(n)?.[1] ?? 0),
      Number(/\.M(\d+)/.exec(n)?.[1] ?? 0),
    ];
    files.sort((a, b) => {
      const [x, y] = [order(a.name), order(b.name)];
      return x[0] - y[0] || x[1] - y[1] || a.name.localeCompare(b.name);
    });
    const imported: ImportedMessage[] = [];
    for (const file of files) {
      const info = /:2,([A-Za-z]*)$/.exec(file.name)?.[1] ?? "";
      const extra = meta?.messages[file.name];
      const flags = flagsFromMaildirLetters(info, keywords);
      for (const k of extra?.keywords ?? []) if (!flags.includes(k)) flags.push(k);
      const date: InternalDate = extra
        ? { time: extra.time, zoneMinutes: extra.zone }
        : { time: Math.floor((await stat(file.path)).mtimeMs), zoneMinutes: 0 };
      // Our own export is byte for byte; a foreign LF-only file is made CRLF.
      const load = extra
        ? () => readFile(file.path)
        : async () => toCrlf(await readFile(file.path));
      imported.push({ load, flags, date });
    }
    messages += await appendAll(account, target, imported);
  }
  const subscriptions = await readFile(join(dir, "subscriptions"), "utf8").catch(() => "");
  for (const line of subscriptions.split("\n")) {
    if (line.trim() !== "") await account.setSubscribed(line.trim(), true);
  }
  return { mailboxes: folders.length, messages };
}

/** The mailbox of that name, created if missing; a role from the export is kept if free. */
export async function ensureMailbox(
  account: Account,
  name: string,
  specialUse: string | null,
): Promise<number> {
  const existing = await account.getMailbox(name);
  if (existing) return existing.id;
  const role = isSpecialUse(specialUse) ? specialUse : null;
  const holder = role && (await account.listMailboxes()).find((b) => b.specialUse === role);
  const created = await account.createMailbox(name, role && !holder ? { specialUse: role } : {});
  return created.id;
}
