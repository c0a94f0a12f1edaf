/**
 * What `npm start` prints once everything listens: where each server is, which CA to trust, the
 * demo credentials, and how to point a mail client at it.
 */
import type { Endpoint } from "../servers/shared/lifecycle.ts";
import type { StackConfig } from "../stacks/schema.ts";
import type { Runner } from "./runner/start.ts";

const TLS_NOTE: Record<Endpoint["tls"], string> = {
  implicit: "TLS",
  starttls: "STARTTLS",
  none: "plain",
};

export function banner(runner: Runner, config: StackConfig, source: string): string {
  const status = runner.status();
  const endpoints = status.servers.flatMap((s) =>
    s.endpoints.map((e) => ({ server: s.name, ...e })),
  );
  const lines = [`mailstack is running (${source}).`, ""];
  lines.push(`  Data directory  ${runner.dataDir}`);
  lines.push(`  Trust this CA   ${runner.caFile}`);
  lines.push(`  Status          mailstack status --data-dir ${runner.dataDir}`, "");
  lines.push("  Servers");
  if (endpoints.length === 0) {
    lines.push("    none yet: this release has no servers to start (they arrive one by one).");
  }
  for (const e of endpoints) {
    lines.push(
      `    ${e.server.padEnd(8)} ${e.name.padEnd(12)} ${e.host}:${e.port}  ${TLS_NOTE[e.tls]}`,
    );
  }
  lines.push("");

  const logins = runner.generatedPasswords;
  if (logins.length > 0) {
    lines.push("  Logins");
    for (const login of logins) {
      lines.push(
        `    ${login.address}  ${
          login.password === undefined
            ? "(password shown on first start; delete generated-passwords.json in the data directory for a new one)"
            : `password ${login.password}  (shown this once; only its hash is kept)`
        }`,
      );
    }
    lines.push("");
  }

  const find = (name: string) => endpoints.find((e) => e.name === name);
  const imaps = find("imaps");
  const submission = find("submissions") ?? find("submission");
  const user =
    logins[0]?.address ?? config.users[0]?.address ?? "you@" + (config.domains[0]?.name ?? "");
  if (imaps && submission) {
    lines.push(
      "  Thunderbird: add a mail account by hand with",
      `    IMAP ${imaps.host} port ${imaps.port} SSL/TLS, SMTP ${submission.host} port ${submission.port} ${submission.tls === "implicit" ? "SSL/TLS" : "STARTTLS"},`,
      `    user name ${user}, and import ${runner.caFile} under Settings > Certificates > Authorities.`,
      "  mutt:",
      `    mutt -e 'set ssl_ca_certificates_file=${runner.caFile}' \\`,
      `         -e 'set folder=imaps://${encodeURIComponent(user)}@${imaps.host}:${imaps.port}/ spoolfile=+INBOX' \\`,
      `         -e 'set smtp_url=smtp${submission.tls === "implicit" ? "s" : ""}://${encodeURIComponent(user)}@${submission.host}:${submission.port}/'`,
      "",
    );
  } else {
    lines.push(
      "  Mail clients can connect once the IMAP and submission servers are part of the stack.",
      "",
    );
  }
  lines.push("Stop with Ctrl-C.");
  return lines.join("\n");
}
