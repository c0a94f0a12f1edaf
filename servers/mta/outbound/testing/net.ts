/**
 * Test support: fake MX hosts on several loopback addresses sharing one port (the outbound port
 * is one setting for all MX hosts, as port 25 is on the Internet), and a silent logger.
 */
import { createServer } from "node:net";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createLogger } from "../../../shared/log.ts";
import { startFakeSmtp, type FakeSmtp, type FakeSmtpOptions } from "./fake-smtp.ts";

export const silentLog = createLogger("queue-test", { level: process.env.TEST_LOG ?? "silent" });

/** A port free on every one of `hosts` (tried a few times: another process may take it). */
export async function commonFreePort(hosts: readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const probe = createServer().listen(0, hosts[0]);
    await once(probe, "listening");
    const port = (probe.address() as AddressInfo).port;
    const others = await Promise.all(
      hosts.slice(1).map(
        (host) =>
          new Promise<boolean>((resolve) => {
            const s = createServer();
            s.once("error", () => resolve(false));
            s.listen(port, host, () => s.close(() => resolve(true)));
          }),
      ),
    );
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    if (others.every(Boolean)) return port;
  }
  throw new Error(`no port free on all of ${hosts.join(", ")}`);
}

/** Starts fake servers; closes them all with the returned function. */
export async function startFakes(
  specs: Record<string, FakeSmtpOptions & { host: string; port: number }>,
): Promise<{ fakes: Record<string, FakeSmtp>; close: () => Promise<void> }> {
  const fakes: Record<string, FakeSmtp> = {};
  for (const [name, spec] of Object.entries(specs)) fakes[name] = await startFakeSmtp(spec);
  return {
    fakes,
    close: async () => {
      await Promise.all(Object.values(fakes).map((f) => f.close()));
    },
  };
}

/** A small message, CRLF; `extra` adds header lines. */
export function message(subject: string, ...extra: string[]): Buffer {
  const header = [
    "From: Alice <alice@local.test>",
    "To: Bob <bob@remote.test>",
    `Subject: ${subject}`,
    `Message-ID: <${subject.replace(/\W/g, "")}.${Date.now()}@local.test>`,
    ...extra,
  ];
  return Buffer.from(`${header.join("\r\n")}\r\n\r\nHello.\r\n`);
}
