/**
 * One organisation of the end-to-end tests: a stack file on disk, run by the local runner on its
 * own loopback address, its zone taken from `mailstack plan --config` (the command, run as a
 * user would), and the clients its users read their mail with (imapflow, Python's poplib, the
 * webmail's HTTP API with a real session).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { ImapFlow } from "imapflow";
import { stringify } from "yaml";
import { planCommand } from "../../cli/plan/plan-command.ts";
import type { Plan } from "../../cli/plan/plan.ts";
import { queueCommand } from "../../cli/queue/queue-command.ts";
import { SERVERS } from "../../cli/runner/servers.ts";
import { startRunner, type Runner } from "../../cli/runner/start.ts";
import type { QueueEntryView } from "../../servers/mta/queue/admin.ts";
import { loadStackFile } from "../../stacks/load.ts";
import type { DkimSelector } from "../../stacks/schema/dkim.ts";
import { freeRunnerPorts } from "./ports.ts";

/** Bounds every wait for work done in the background (queues, delivery); generous for 2 busy cores. */
export const WAIT_MS = 90_000;

/** Polls `probe` until it returns a value; fails naming `what` once `ms` is over. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(200);
  }
}

/** A port free on every one of `hosts` (each organisation's MX listens on the same port). */
export async function portFreeOn(hosts: readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = createServer().listen(0, hosts[0]);
    await once(first, "listening");
    const { port } = first.address() as AddressInfo;
    const others = await Promise.all(
      hosts.slice(1).map(
        (host) =>
          new Promise<boolean>((done) => {
            const s = createServer();
            s.once("error", () => done(false));
            s.listen(port, host, () => s.close(() => done(true)));
          }),
      ),
    );
    await new Promise((done) => first.close(done));
    if (others.every(Boolean)) return port;
  }
  throw new Error(`no port free on all of ${hosts.join(", ")}`);
}

export interface OrganisationSpec {
  /** The mail domain, e.g. a.test; the host is mail.<domain>. */
  readonly domain: string;
  /** Its own loopback address, published as the host's A record (and so allowed by SPF). */
  readonly address: string;
  readonly users: readonly string[];
  readonly dkim: readonly DkimSelector[];
  readonly dmarcPolicy: "none" | "quarantine" | "reject";
  /** The port every organisation's MX listens on and delivers to. */
  readonly smtpPort: number;
  /** The servers its runner starts; default all. */
  readonly servers?: readonly string[];
}

export interface MessageCopy {
  readonly uid: number;
  readonly source: string;
}

export class Organisation {
  #runner: Runner | undefined;
  #dkim: readonly DkimSelector[];
  readonly passwords = new Map<string, string>();
  readonly output: string[] = [];

  private constructor(
    readonly spec: OrganisationSpec,
    readonly dir: string,
    readonly ports: Readonly<Record<string, number>>,
  ) {
    this.#dkim = spec.dkim;
  }

  static async create(spec: OrganisationSpec): Promise<Organisation> {
    const dir = await mkdtemp(join(tmpdir(), `mailstack-${spec.domain}-`));
    const ports = { ...(await freeRunnerPorts(spec.address)), smtp: spec.smtpPort };
    return new Organisation(spec, dir, ports);
  }

  get hostname(): string {
    return `mail.${this.spec.domain}`;
  }
  get stackFile(): string {
    return join(this.dir, `${this.spec.domain}.yaml`);
  }
  get dataDir(): string {
    return join(this.dir, "data");
  }
  get dkim(): readonly DkimSelector[] {
    return this.#dkim;
  }
  get runner(): Runner {
    assert.ok(this.#runner, `${this.spec.domain} is not running`);
    return this.#runner;
  }

  /** Writes the stack file, as an operator would, with these DKIM selectors. */
  async writeStack(resolver: string, dkim: readonly DkimSelector[] = this.#dkim): Promise<void> {
    this.#dkim = dkim;
    const { domain, address } = this.spec;
    const key = (name: string) => `mailstack:${name}`;
    const config = {
      [key("hostname")]: this.hostname,
      [key("addresses")]: { ipv4: [address] },
      [key("domains")]: [
        {
          name: domain,
          dkim: dkim.map(({ selector, algorithm, state }) => ({ selector, algorithm, state })),
          dmarc: { policy: this.spec.dmarcPolicy },
        },
      ],
      [key("users")]: this.spec.users.map((u) => ({ address: u, name: u.split("@")[0] })),
      [key("aliases")]: [{ address: `postmaster@${domain}`, to: this.spec.users[0] }],
      [key("local")]: {
        listen: address,
        dataDir: "data",
        resolver,
        ports: this.ports,
        // Mail leaves from the address SPF allows, to the other organisation's MX port, and a
        // deferred message is tried again within seconds.
        outbound: {
          port: this.spec.smtpPort,
          localAddress: address,
          retryFirst: "1s",
          retryMax: "2s",
        },
      },
    };
    await writeFile(this.stackFile, stringify({ config }));
  }

  /**
   * `mailstack plan --config <stack file> --json --zone-dir DIR`: this organisation's zone file.
   * The command runs in this process (cli/plan/local-plan.test.ts runs it as a program), which
   * spares a TypeScript start per zone on a busy machine.
   */
  async plannedZone(): Promise<{ zone: string; text: string }> {
    const zoneDir = join(this.dir, "zones");
    let stdout = "";
    let stderr = "";
    const code = await planCommand(
      { stack: undefined, config: this.stackFile, json: true, zoneDir },
      {
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: (t: string) => (stderr += t) },
      },
    );
    assert.equal(code, 0, stderr);
    const plan = JSON.parse(stdout) as Plan;
    assert.deepEqual(
      plan.zones.map((z) => z.zone),
      [this.spec.domain],
    );
    const text = await readFile(join(zoneDir, `${this.spec.domain}.zone`), "utf8");
    return { zone: this.spec.domain, text };
  }

  /** Starts the runner on the stack file as it is now; keeps the passwords of the first start. */
  async start(): Promise<void> {
    const config = await loadStackFile(this.stackFile);
    this.#runner = await startRunner({
      config,
      source: this.stackFile,
      baseDir: this.dir,
      servers: SERVERS.filter((s) => this.spec.servers?.includes(s.name) ?? true),
      onOutput: (server, line) => {
        this.output.push(`${server}: ${line}`);
        if (this.output.length > 400) this.output.splice(0, 200);
      },
    }).catch((error: unknown) => {
      throw new Error(
        `${this.spec.domain}: ${(error as Error).message}; last output:\n${this.output.slice(-20).join("\n")}`,
      );
    });
    for (const g of this.#runner.generatedPasswords) {
      if (g.password !== undefined) this.passwords.set(g.address, g.password);
    }
  }

  async stop(): Promise<void> {
    const runner = this.#runner;
    this.#runner = undefined;
    await runner?.stop();
  }

  async cleanup(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  password(user: string): string {
    const password = this.passwords.get(user);
    assert.ok(password, `no generated password for ${user}`);
    return password;
  }

  /** An IMAP client (implicit TLS) logged in as `user`, trusting this organisation's CA. */
  async imap(user: string): Promise<ImapFlow> {
    const client = new ImapFlow({
      host: this.spec.address,
      port: this.ports["imaps"] ?? 0,
      secure: true,
      tls: { ca: [await readFile(this.runner.caFile, "utf8")], servername: this.hostname },
      auth: { user, pass: this.password(user) },
      logger: false,
    });
    await client.connect();
    return client;
  }

  /** Every message of `mailbox` with its full source (a fresh IMAP session each time). */
  async messages(user: string, mailbox = "INBOX"): Promise<MessageCopy[]> {
    const client = await this.imap(user);
    try {
      const lock = await client.getMailboxLock(mailbox);
      try {
        const found: MessageCopy[] = [];
        if (client.mailbox && client.mailbox.exists === 0) return found;
        for await (const m of client.fetch("1:*", { uid: true, source: true })) {
          found.push({ uid: m.uid, source: m.source?.toString("utf8") ?? "" });
        }
        return found;
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  }

  /** Waits until `user` has a message in `mailbox` for which `match` holds; returns its source. */
  async waitForMessage(
    user: string,
    what: string,
    match: (source: string) => boolean,
    mailbox = "INBOX",
  ): Promise<string> {
    return waitFor(`${what} in ${user}'s ${mailbox}`, async () => {
      const found = (await this.messages(user, mailbox)).find((m) => match(m.source));
      return found?.source;
    });
  }

  /** `mailstack queue list --data-dir DIR --json`, as an operator reads the MTA's queue. */
  async queue(): Promise<QueueEntryView[]> {
    let out = "";
    let err = "";
    const code = await queueCommand(["list", "--data-dir", this.dataDir, "--json"], {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (err += t) },
    });
    assert.equal(code, 0, err);
    return JSON.parse(out) as QueueEntryView[];
  }

  /** Logs `user` into the webmail (a real session: cookie and CSRF token) and returns a client. */
  async webmail(user: string): Promise<WebmailSession> {
    const origin = `https://${this.spec.address}:${this.ports["webmail"] ?? 0}`;
    const ca = await readFile(this.runner.caFile, "utf8");
    const login = await https(origin, ca, "/api/login", {
      method: "POST",
      headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ address: user, password: this.password(user) }),
    });
    assert.equal(login.status, 200, login.body);
    const cookie = (login.headers["set-cookie"]?.[0] ?? "").split(";")[0] ?? "";
    const { csrfToken } = JSON.parse(login.body) as { csrfToken: string };
    return {
      get: (path) => https(origin, ca, path, { headers: { cookie } }),
      post: (path, body) =>
        https(origin, ca, path, {
          method: "POST",
          headers: {
            cookie,
            origin,
            "x-csrf-token": csrfToken,
            "content-type": "application/json",
          },
          body: JSON.stringify(body),
        }),
    };
  }
}

export interface HttpsReply {
  readonly status: number;
  readonly headers: Record<string, string[] | string | undefined> & {
    "set-cookie"?: string[];
  };
  readonly body: string;
}

export interface WebmailSession {
  get(path: string): Promise<HttpsReply>;
  post(path: string, body: unknown): Promise<HttpsReply>;
}

async function https(
  origin: string,
  ca: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<HttpsReply> {
  const { request } = await import("node:https");
  return new Promise((done, fail) => {
    const req = request(
      `${origin}${path}`,
      { method: options.method ?? "GET", headers: options.headers, ca, servername: "localhost" },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", fail);
        res.on("end", () =>
          done({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", fail);
    req.end(options.body);
  });
}

/** One header field's value with its folding undone (the first such field). */
export function headerValue(source: string, name: string): string | undefined {
  const head = source.split(/\r?\n\r?\n/)[0] ?? "";
  const match = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, "im").exec(head);
  return match?.[1]?.replace(/\r?\n[ \t]+/g, " ");
}

/** Every value of a header field, unfolded. */
export function headerValues(source: string, name: string): string[] {
  const head = source.split(/\r?\n\r?\n/)[0] ?? "";
  return [...head.matchAll(new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, "gim"))].map(
    (m) => (m[1] ?? "").replace(/\r?\n[ \t]+/g, " "),
  );
}
