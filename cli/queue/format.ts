/** Text output of `mailstack queue`, in the spirit of Postfix's mailq and postcat. */
import type { QueueEntryView } from "../../servers/mta/queue/admin.ts";

export function formatList(entries: readonly QueueEntryView[]): string {
  if (entries.length === 0) return "Mail queue is empty.";
  const lines = [`${"Queue ID".padEnd(24)} ${"Size".padStart(8)}  ${"Arrived".padEnd(24)} Sender`];
  let pending = 0;
  for (const e of entries) {
    lines.push(
      `${e.id.padEnd(24)} ${String(e.size).padStart(8)}  ${e.arrivedAt.padEnd(24)} ${e.from === "" ? "<>" : e.from}`,
    );
    for (const r of e.recipients) {
      if (r.status === "pending") pending++;
      const why = r.lastResult ? `  (${r.dsn} ${r.lastResult})` : "";
      const next = r.nextAttemptAt ? `, next ${r.nextAttemptAt}` : "";
      lines.push(`    ${r.address}  ${r.status}, ${r.attempts} attempt(s)${next}${why}`);
    }
  }
  lines.push(`-- ${entries.length} message(s), ${pending} recipient(s) pending.`);
  return lines.join("\n");
}

export function formatShow(entry: QueueEntryView, header: string): string {
  const lines = [
    `Queue ID:    ${entry.id}`,
    `Arrived:     ${entry.arrivedAt}`,
    `Sender:      ${entry.from === "" ? "<> (null sender: a bounce)" : entry.from}`,
    `Size:        ${entry.size} bytes`,
    `Origin:      ${entry.origin.kind}${entry.origin.user ? ` (user ${entry.origin.user})` : ""}${
      entry.origin.remoteAddress ? ` from ${entry.origin.remoteAddress}` : ""
    }`,
    ...(entry.requireTls ? ["REQUIRETLS:  yes"] : []),
    `MAIL FROM:   ${mailParameters(entry) || "(no parameters)"}`,
    "Recipients:",
  ];
  for (const r of entry.recipients) {
    lines.push(`  ${r.address}`);
    const rcpt = rcptParameters(r);
    if (rcpt) lines.push(`    RCPT:     ${rcpt}`);
    lines.push(`    status:   ${r.status}, ${r.attempts} attempt(s)`);
    if (r.lastAttemptAt)
      lines.push(`    last:     ${r.lastAttemptAt}${r.relay ? ` via ${r.relay}` : ""}`);
    if (r.lastResult) lines.push(`    result:   ${r.dsn} ${r.lastResult}`);
    if (r.nextAttemptAt) lines.push(`    next:     ${r.nextAttemptAt}`);
  }
  lines.push("Message header:", ...header.split(/\r?\n/).map((l) => `  ${l}`));
  return lines.join("\n");
}

/**
 * The envelope parameters the client gave at MAIL FROM, as it wrote them (RFC 6531 SMTPUTF8,
 * RFC 6152 BODY, RFC 3461 RET and ENVID, RFC 8689 REQUIRETLS); the queue passes them on.
 */
function mailParameters(entry: QueueEntryView): string {
  return [
    entry.smtpUtf8 ? "SMTPUTF8" : "",
    entry.eightBitMime ? "BODY=8BITMIME" : "",
    entry.dsn?.ret ? `RET=${entry.dsn.ret === "full" ? "FULL" : "HDRS"}` : "",
    entry.dsn?.envid ? `ENVID=${entry.dsn.envid}` : "",
    entry.requireTls ? "REQUIRETLS" : "",
  ]
    .filter((p) => p !== "")
    .join(" ");
}

/** NOTIFY and ORCPT of one recipient (RFC 3461 §4.1, §4.2). */
function rcptParameters(r: QueueEntryView["recipients"][number]): string {
  const notify =
    r.notify === undefined
      ? ""
      : `NOTIFY=${r.notify === "never" ? "NEVER" : r.notify.map((n) => n.toUpperCase()).join(",")}`;
  return [notify, r.orcpt ? `ORCPT=${r.orcpt}` : ""].filter((p) => p !== "").join(" ");
}
