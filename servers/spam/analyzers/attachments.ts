/**
 * Attachments that carry malware rather than documents: executable and script types (also
 * inside ZIP archives, whose member names are in the central directory, APPNOTE 4.3.12), and
 * archives protected by a password, which no scanner can open and which malware campaigns use
 * for exactly that reason (the password is in the message text):
 *
 * - ZIP: general purpose bit 0 "encrypted" of any entry (APPNOTE 4.4.4);
 * - RAR 4: archive header flag 0x0080 (headers encrypted) or file header flag 0x0004; RAR 5:
 *   an archive encryption header (type 4);
 * - 7z: an AES-256 coder (method id 06 F1 07 01) in the header.
 */
import type { Attachment } from "../message/parse.ts";
import type { Analyzer } from "./context.ts";

export const DANGEROUS_EXTENSIONS = new Set([
  "exe", "scr", "pif", "com", "bat", "cmd", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta",
  "cpl", "msi", "msp", "jar", "lnk", "ps1", "psm1", "reg", "dll", "iso", "img", "vhd", "vhdx",
  "application", "appx", "msix", "scf", "url", "xll", "chm",
]); // prettier-ignore

/** Member names read per archive; bounds the work on hostile archives. */
const MAX_MEMBERS = 1000;

export const attachmentsAnalyzer: Analyzer = {
  name: "attachments",
  run(ctx) {
    let dangerous: string | undefined;
    let encrypted: string | undefined;
    for (const attachment of ctx.message.attachments) {
      if (dangerous === undefined && isDangerousName(attachment.filename))
        dangerous = attachment.filename;
      const archive = inspectArchive(attachment);
      if (archive === undefined) continue;
      if (archive.encrypted && encrypted === undefined)
        encrypted = attachment.filename || archive.kind;
      const member = archive.members.find(isDangerousName);
      if (dangerous === undefined && member !== undefined)
        dangerous = `${attachment.filename}: ${member}`;
    }
    if (dangerous !== undefined) ctx.add("DANGEROUS_ATTACHMENT", dangerous);
    if (encrypted !== undefined) ctx.add("ENCRYPTED_ARCHIVE", encrypted);
  },
};

export function isDangerousName(name: string): boolean {
  const ext = /\.([a-z0-9]+)\s*$/i.exec(name)?.[1]?.toLowerCase();
  return ext !== undefined && DANGEROUS_EXTENSIONS.has(ext);
}

export interface ArchiveFacts {
  readonly kind: "zip" | "rar" | "7z";
  readonly encrypted: boolean;
  readonly members: readonly string[];
}

export function inspectArchive(attachment: Pick<Attachment, "content">): ArchiveFacts | undefined {
  const bytes = Buffer.from(
    attachment.content.buffer,
    attachment.content.byteOffset,
    attachment.content.byteLength,
  );
  if (bytes.length < 8) return undefined;
  if (bytes.readUInt32LE(0) === 0x04034b50) return inspectZip(bytes);
  if (bytes.subarray(0, 6).toString("latin1") === "Rar!\x1a\x07") return inspectRar(bytes);
  if (bytes.subarray(0, 6).equals(Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]))) {
    return {
      kind: "7z",
      encrypted: bytes.includes(Buffer.from([0x06, 0xf1, 0x07, 0x01])),
      members: [],
    };
  }
  return undefined;
}

function inspectZip(bytes: Buffer): ArchiveFacts {
  const members: string[] = [];
  let encrypted = false;
  // Central directory entries: signature 0x02014b50, flags at +8, name length at +28,
  // extra length at +30, comment length at +32, name at +46.
  let at = bytes.indexOf("PK\x01\x02", 0, "latin1");
  while (at >= 0 && at + 46 <= bytes.length && members.length < MAX_MEMBERS) {
    const flags = bytes.readUInt16LE(at + 8);
    const nameLength = bytes.readUInt16LE(at + 28);
    if (flags & 1) encrypted = true;
    members.push(bytes.subarray(at + 46, at + 46 + nameLength).toString("utf8"));
    const next = at + 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    at = bytes.indexOf("PK\x01\x02", next, "latin1");
  }
  if (members.length === 0) {
    // No central directory (a truncated archive): the local headers tell the same.
    let local = 0;
    while (local >= 0 && local + 30 <= bytes.length && members.length < MAX_MEMBERS) {
      if (bytes.readUInt16LE(local + 6) & 1) encrypted = true;
      const nameLength = bytes.readUInt16LE(local + 26);
      members.push(bytes.subarray(local + 30, local + 30 + nameLength).toString("utf8"));
      local = bytes.indexOf("PK\x03\x04", local + 30 + nameLength, "latin1");
    }
  }
  return { kind: "zip", encrypted, members };
}

function inspectRar(bytes: Buffer): ArchiveFacts {
  if (bytes[6] === 0x00) {
    // RAR 4: marker block (7 bytes), then the archive header: CRC(2) type(1)=0x73 flags(2).
    const archiveFlags = bytes[9] === 0x73 ? bytes.readUInt16LE(10) : 0;
    let encrypted = (archiveFlags & 0x0080) !== 0;
    const headSize = bytes.length >= 14 ? bytes.readUInt16LE(12) : 0;
    const file = 7 + headSize;
    // The first file header: CRC(2) type(1)=0x74 flags(2).
    if (
      file + 5 <= bytes.length &&
      bytes[file + 2] === 0x74 &&
      bytes.readUInt16LE(file + 3) & 0x0004
    )
      encrypted = true;
    return { kind: "rar", encrypted, members: [] };
  }
  // RAR 5: signature (8 bytes), then headers: CRC32(4), size (vint), type (vint).
  let at = 8 + 4;
  at = skipVint(bytes, at);
  const type = bytes[at];
  return { kind: "rar", encrypted: type === 4, members: [] };
}

function skipVint(bytes: Buffer, at: number): number {
  while (at < bytes.length && (bytes[at] ?? 0) & 0x80) at++;
  return at + 1;
}
