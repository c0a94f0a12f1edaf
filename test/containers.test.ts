/**
 * The stack's containers, run for real with podman from the specs `pulumi up` declares
 * (containerSpecs -> podman.ts), on loopback and free ports: the dev stack's users, aliases and
 * groups reconciled into the directory container and read by the servers' LDAP backend as the
 * service account over StartTLS (the directory answers nothing in clear); every server healthy on
 * a read-only root file system; alice's mail to bob through submission, the LMTP socket volume,
 * IMAP and POP3; the webmail over HTTPS; `mailstack backup` of the volumes in a one-off container
 * while the servers run; a clean stop and a restart that keeps the mail; `mailstack restore`
 * into emptied volumes; the directory kept on its volume when its container is replaced.
 *
 * Needs podman and the images built (`.ci/run` builds them); skipped, saying why, otherwise.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { chown, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import https from "node:https";

import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connect as connectTls } from "node:tls";
import { ImapFlow } from "imapflow";
import { Client, ResultCodeError } from "ldapts";
import nodemailer from "nodemailer";
import { containerSpecs, type StackContainers } from "../components/containers/container-specs.ts";
import { dataVolumeMounts, podmanDataCommandArgs } from "../components/containers/podman.ts";
import { directoryEntries } from "../components/directory/directory-entries.ts";
import {
  ldapSyncProvider,
  type LdapSyncInputs,
} from "../components/directory/ldap-sync-provider.ts";
import { createLdapBackend } from "../servers/shared/directory/ldap-directory.ts";
import { ensureLocalCa, issueServerCertificate } from "../servers/shared/tls/local-ca.ts";
import { loadStackFile } from "../stacks/load.ts";
import type { StackConfig } from "../stacks/schema.ts";
import { freePort } from "./helpers/ports.ts";
import {
  podman as runPodman,
  podmanStack,
  podmanUnavailable,
  type PodmanStack,
} from "./helpers/podman-stack.ts";
import { skipWhenMissing } from "./helpers/required-tools.ts";

const ROOT = resolve(import.meta.dirname, "..");
/** How long the directory may take to answer its first bind after start. */
const STARTUP_TRIES = 150;
/** How many times a server's health check is run before it counts as failed (200 ms apart). */
const HEALTH_TRIES = 25;

/** The directory's certificate: the CA that signed it and the name on it, for StartTLS. */
interface DirectoryTls {
  readonly ca: string;
  readonly servername: string;
}

async function binds(
  url: string,
  tls: DirectoryTls,
  dn: string,
  password: string,
): Promise<boolean> {
  const client = new Client({ url, connectTimeout: 1000, timeout: 2000 });
  try {
    await client.startTLS(tls);
    await client.bind(dn, password);
    return true;
  } catch {
    return false;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

const skip = skipWhenMissing(
  await podmanUnavailable([
    "localhost/mailstack-directory:latest",
    "localhost/mailstack-server:latest",
  ]),
);

describe("the stack's containers, run with podman from the declared specs", { skip }, () => {
  const prefix = `mailstack-t${randomBytes(3).toString("hex")}`;
  const adminPassword = randomBytes(18).toString("base64url");
  const servicePassword = randomBytes(18).toString("base64url");
  let config: StackConfig;
  let stack: StackContainers;
  let podman: PodmanStack;
  let scratch: string;
  let url: string;
  let inputs: LdapSyncInputs;
  let caPem: string;
  let tls: DirectoryTls;
  let backups: string;
  const SERVER_IMAGE = "localhost/mailstack-server:latest";

  async function waitForDirectory(): Promise<void> {
    const { adminDN } = stack.directory;
    for (let i = 0; i < STARTUP_TRIES; i++) {
      if (await binds(url, tls, adminDN, adminPassword)) return;
      await sleep(100);
    }
    const directory = stack.containers.find((c) => c.server === "directory");
    const logs = directory ? await podman.logs(directory) : "";
    throw new Error(`the directory container did not answer at ${url}:\n${logs}`);
  }

  before(async () => {
    const dev = await loadStackFile(join(ROOT, "stacks/Pulumi.dev.yaml"));
    const port = await freePort();
    // Published on loopback, on free ports: the test takes no well-known port of the machine.
    const ports = {
      smtp: await freePort(),
      submission: await freePort(),
      submissions: await freePort(),
      imaps: await freePort(),
      pop3s: await freePort(),
      https: await freePort(),
    };
    config = {
      ...dev,
      docker: {
        ...dev.docker,
        publishAddress: "127.0.0.1",
        ports,
        directory: { ...dev.docker.directory, port },
      },
    };
    stack = containerSpecs(config, { prefix });
    url = stack.directory.adminUrl;
    scratch = await mkdtemp(join(tmpdir(), "mailstack-containers-"));
    const ca = await ensureLocalCa(join(scratch, "ca"));
    caPem = ca.caCert;
    tls = { ca: caPem, servername: config.hostname };
    // Where the one-off backup containers write, owned by the servers' user.
    backups = join(scratch, "backups");
    await mkdir(backups);
    await chown(backups, 10001, 10001);
    const cert = await issueServerCertificate(ca, {
      dnsNames: [config.hostname],
      ipAddresses: [],
      dir: join(scratch, "tls"),
      name: "server",
    });
    // The MTA signs with the active selectors' keys, which pulumi up generates; here, node:crypto.
    const dkim = Object.fromEntries(
      config.domains.flatMap((d) =>
        d.dkim
          .filter((k) => k.state === "active")
          .map((k) => [
            `dkim:${d.name}:${k.selector}`,
            generateKeyPairSync("rsa", { modulusLength: 2048 })
              .privateKey.export({ type: "pkcs8", format: "pem" })
              .toString(),
          ]),
      ),
    );
    podman = await podmanStack(stack, {
      ...dkim,
      "tls-cert": await readFile(cert.certPath, "utf8"),
      "tls-key": await readFile(cert.keyPath, "utf8"),
      "ca-cert": ca.caCert,
      "directory-admin-password": adminPassword,
      "directory-service-password": servicePassword,
    });
    const directory = stack.containers.find((c) => c.server === "directory");
    assert.ok(directory);
    await podman.start(directory);
    await waitForDirectory();
    const desired = directoryEntries(config, stack.directory.baseDN);
    inputs = {
      url,
      bindDN: stack.directory.adminDN,
      bindPassword: adminPassword,
      startTls: tls,
      ownedBase: desired.ownedBase,
      entries: desired.entries,
      passwords: { ...desired.passwords, [desired.serviceDN]: { password: servicePassword } },
    };
  });

  after(async () => {
    await podman?.cleanup();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  let sentSubject = "";

  async function bobHasOverImap(subject: string): Promise<boolean> {
    const imap = new ImapFlow({
      host: "127.0.0.1",
      port: config.docker.ports.imaps,
      secure: true,
      tls: { ca: [caPem], servername: config.hostname },
      auth: { user: "bob@dev.example.test", pass: "bob-dev" },
      logger: false,
    });
    await imap.connect();
    try {
      await imap.mailboxOpen("INBOX");
      const uids = await imap.search({ subject }, { uid: true });
      return Array.isArray(uids) && uids.length === 1;
    } finally {
      await imap.logout();
    }
  }

  /** A POP3 session over implicit TLS: the greeting and one reply line per command. */
  function pop3Session(commands: readonly string[]): Promise<string[]> {
    return new Promise((resolveLines, reject) => {
      const socket = connectTls({
        host: "127.0.0.1",
        port: config.docker.ports.pop3s,
        ca: [caPem],
        servername: config.hostname,
      });
      const lines: string[] = [];
      let buffer = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf("\r\n");
        while (end >= 0) {
          lines.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          const next = commands[lines.length - 1];
          if (next !== undefined) socket.write(`${next}\r\n`);
          end = buffer.indexOf("\r\n");
        }
      });
      socket.once("error", reject);
      socket.once("close", () => resolveLines(lines));
    });
  }

  /** The servers' view: the LDAP backend bound as the stack's service account. */
  async function asServers<T>(
    fn: (backend: ReturnType<typeof createLdapBackend>) => Promise<T>,
  ): Promise<T> {
    const backend = createLdapBackend({
      url,
      baseDN: stack.directory.baseDN,
      bindDN: stack.directory.serviceDN,
      bindPassword: servicePassword,
      startTls: true,
      ...tls,
    });
    try {
      return await fn(backend);
    } finally {
      await backend.close();
    }
  }

  it("takes the dev stack's entries, and the servers' service account reads them", async () => {
    const created = await ldapSyncProvider.create(inputs);
    assert.equal(created.outs.lastApply.added, 8);
    await asServers(async (backend) => {
      const alice = await backend.checkPassword("alice@dev.example.test", "alice-dev");
      assert.equal(alice.kind, "ok");
      // The quota of the stack file, through our schema's attribute.
      assert.equal(alice.kind === "ok" && alice.user.quotaBytes, 2 ** 30);
      assert.equal(
        (await backend.checkPassword("bob@dev.example.test", "wrong")).kind,
        "wrong-password",
      );
      const postmaster = await backend.lookup("postmaster@dev.example.test");
      assert.equal(postmaster && "id" in postmaster ? postmaster.id : "", "alice@dev.example.test");
      const team = await backend.lookup("team@dev.example.test");
      assert.deepEqual(team && "members" in team ? [...team.members].sort() : [], [
        "alice@dev.example.test",
        "bob@dev.example.test",
      ]);
    });
    const again = await ldapSyncProvider.update(created.id, created.outs, inputs);
    assert.deepEqual(again.outs.lastApply, { added: 0, modified: 0, deleted: 0 });
  });

  it("lets the service account read entries but never a password", async () => {
    const client = new Client({ url });
    try {
      await client.startTLS(tls);
      await client.bind(stack.directory.serviceDN, servicePassword);
      const { searchEntries } = await client.search(stack.directory.baseDN, {
        scope: "sub",
        filter: "(uid=alice@dev.example.test)",
        attributes: ["mail", "userPassword"],
      });
      assert.equal(searchEntries.length, 1);
      assert.deepEqual(searchEntries[0]?.mail, "alice@dev.example.test");
      // ldapts lists a requested attribute it did not receive with no values.
      assert.deepEqual([searchEntries[0]?.userPassword ?? []].flat(), []);
    } finally {
      await client.unbind();
    }
    assert.equal(await binds(url, tls, stack.directory.serviceDN, "not-the-password"), false);
  });

  it("answers nothing in clear: a bind without StartTLS is refused before the password is checked", async () => {
    const client = new Client({ url, connectTimeout: 2000, timeout: 5000 });
    try {
      await assert.rejects(
        client.bind(stack.directory.serviceDN, servicePassword),
        (error: unknown) => {
          // confidentialityRequired (RFC 4511 §4.1.9): so the servers, which log in below, use TLS.
          assert.ok(error instanceof ResultCodeError, String(error));
          assert.equal(error.code, 13);
          return true;
        },
      );
    } finally {
      await client.unbind().catch(() => undefined);
    }
  });

  it("starts every server container from its spec, each passing its own health check", async () => {
    const servers = stack.containers.filter((c) => c.server !== "directory");
    for (const spec of servers) await podman.start(spec);
    for (const spec of stack.containers) {
      const readOnly = await runPodman([
        "inspect",
        "--format",
        "{{.HostConfig.ReadonlyRootfs}}",
        spec.name,
      ]);
      assert.equal(readOnly.trim(), "true", `${spec.server} runs on a writable root`);
    }
    const unhealthy: string[] = [];
    for (const spec of servers) {
      let ok = false;
      for (let i = 0; i < HEALTH_TRIES && !ok; i++) {
        ok = await podman.healthy(spec);
        if (!ok) await sleep(200);
      }
      if (!ok) unhealthy.push(await podman.logs(spec));
    }
    assert.deepEqual(unhealthy, []);
  });

  it("carries alice's mail to bob: submission in, LMTP over the shared socket, IMAP out", async () => {
    const tls = { ca: [caPem], servername: config.hostname };
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: config.docker.ports.submissions,
      secure: true,
      tls,
      auth: { user: "alice@dev.example.test", pass: "alice-dev" },
    });
    const subject = `through the containers ${randomBytes(4).toString("hex")}`;
    const sent = await transport.sendMail({
      from: "alice@dev.example.test",
      to: "bob@dev.example.test",
      subject,
      text: "Hello Bob.",
    });
    assert.deepEqual(sent.accepted, ["bob@dev.example.test"]);
    transport.close();

    let found = false;
    for (let i = 0; i < HEALTH_TRIES && !found; i++) {
      found = await bobHasOverImap(subject);
      if (!found) await sleep(200);
    }
    assert.ok(found, `bob's INBOX has no message "${subject}"`);
    sentSubject = subject;
  });

  it("shows bob the same mail over POP3", async () => {
    const lines = await pop3Session(["USER bob@dev.example.test", "PASS bob-dev", "STAT", "QUIT"]);
    assert.match(lines[0] ?? "", /^\+OK/);
    assert.match(lines[3] ?? "", /^\+OK 1 \d+/, lines.join(" | "));
  });

  it("answers over HTTPS as the webmail", async () => {
    const status = await new Promise<number>((resolveStatus, reject) => {
      https
        .get(
          {
            host: "127.0.0.1",
            port: config.docker.ports.https,
            path: "/",
            ca: [caPem],
            servername: config.hostname,
          },
          (res) => {
            res.resume();
            resolveStatus(res.statusCode ?? 0);
          },
        )
        .once("error", reject);
    });
    assert.ok(status >= 200 && status < 400, `the webmail answered ${status}`);
  });

  it("backs up the data volumes with `mailstack backup` in a one-off container while the servers run", async () => {
    const out = await runPodman(
      podmanDataCommandArgs(stack, SERVER_IMAGE, backups, [
        "backup",
        "--out",
        "/backup/b1",
        "--json",
      ]),
    );
    const report = JSON.parse(out) as {
      accounts: { userId: string }[];
      files: { path: string }[];
    };
    assert.ok(
      report.accounts.some((a) => a.userId === "bob@dev.example.test"),
      `bob's mail is not in the backup: ${out}`,
    );
    assert.ok(
      report.files.some((f) => f.path === "spam/spam.sqlite"),
      out,
    );
  });

  it("stops every container cleanly, and after a restart bob still has his mail", async () => {
    const order = [...stack.containers].reverse();
    const codes = Object.fromEntries(
      await Promise.all(order.map(async (spec) => [spec.server, await podman.stop(spec)] as const)),
    );
    for (const [server, code] of Object.entries(codes)) {
      // 0: the server shut down on SIGTERM; 143 would mean it was killed by it.
      assert.equal(code, 0, `${server} exited with ${code}`);
    }
    for (const spec of stack.containers) await podman.restart(spec);
    let found = false;
    for (let i = 0; i < STARTUP_TRIES && !found; i++) {
      found = await bobHasOverImap(sentSubject).catch(() => false);
      if (!found) await sleep(200);
    }
    assert.ok(found, "bob's mail is gone after the restart");
  });

  it("restores emptied data volumes with `mailstack restore`, and bob has his mail again", async () => {
    const servers = stack.containers.filter((c) => c.server !== "directory");
    for (const spec of [...servers].reverse()) await podman.stop(spec);
    // The loss: every data volume emptied.
    const mounts = dataVolumeMounts(stack);
    const paths = mounts.map((m) => m.path).join(" ");
    const left = await runPodman([
      "run",
      "--rm",
      "--network",
      "none",
      ...mounts.flatMap((m) => ["--volume", `${m.volume}:${m.path}`]),
      SERVER_IMAGE,
      "sh",
      "-c",
      `find ${paths} -mindepth 1 -delete && find ${paths} -mindepth 1 | wc -l`,
    ]);
    assert.equal(left.trim(), "0");
    await runPodman(
      podmanDataCommandArgs(stack, SERVER_IMAGE, backups, ["restore", "--from", "/backup/b1"]),
    );
    for (const spec of servers) await podman.restart(spec);
    let found = false;
    for (let i = 0; i < STARTUP_TRIES && !found; i++) {
      found = await bobHasOverImap(sentSubject).catch(() => false);
      if (!found) await sleep(200);
    }
    const logs = found ? [] : await Promise.all(servers.map((spec) => podman.logs(spec)));
    assert.ok(found, `bob's mail did not come back from the backup:\n${logs.join("\n")}`);
  });

  it("keeps the directory on its volume when the container is replaced", async () => {
    const directory = stack.containers.find((c) => c.server === "directory");
    assert.ok(directory);
    // start() removes the old container and creates a new one from the spec, as an upgrade does.
    await podman.start(directory);
    await waitForDirectory();
    await asServers(async (backend) => {
      assert.equal((await backend.checkPassword("bob@dev.example.test", "bob-dev")).kind, "ok");
    });
  });
});
