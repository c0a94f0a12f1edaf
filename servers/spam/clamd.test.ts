/**
 * Virus scanning over clamd's INSTREAM protocol: against a small fake clamd on a Unix socket
 * that speaks the real framing (chunk lengths, zero-length end, NUL-terminated answer), and
 * against the real clamd (Debian clamav-daemon) started with a one-signature database (the
 * EICAR test file by MD5), when it is installed. No virus definitions are downloaded.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { ClamdClient } from "./clamd.ts";
import { message, testEngine } from "./testing/harness.ts";

/** The EICAR anti-virus test file (eicar.org): harmless, detected by every scanner. */
const EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
const CLAMD = "/usr/sbin/clamd";

function withAttachment(content: string): string {
  const b = "=_clamd";
  return message({
    headers: { "Content-Type": `multipart/mixed; boundary="${b}"` },
    body:
      `--${b}\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n` +
      `--${b}\r\nContent-Type: application/octet-stream; name="x.com"\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
      `${Buffer.from(content).toString("base64")}\r\n--${b}--\r\n`,
  });
}

/** A fake clamd: reads the INSTREAM framing exactly, answers like clamd. */
function fakeClamd(
  path: string,
  behaviour: "scan" | "silent",
  limit = 1024 * 1024,
): Promise<Server> {
  const server = createServer((socket: Socket) => {
    let buffer = Buffer.alloc(0);
    let command: string | undefined;
    const data: Buffer[] = [];
    let total = 0;
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (command === undefined) {
        const nul = buffer.indexOf(0);
        if (nul < 0) return;
        command = buffer.subarray(0, nul).toString();
        buffer = buffer.subarray(nul + 1);
        if (command === "zPING") return void socket.end("PONG\0");
      }
      if (behaviour === "silent") return;
      while (buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (length === 0) {
          const scanned = Buffer.concat(data).toString("latin1");
          const found = scanned.includes(Buffer.from(EICAR).toString("base64").slice(0, 40));
          return void socket.end(found ? "stream: Eicar-Signature FOUND\0" : "stream: OK\0");
        }
        if (buffer.length < 4 + length) return;
        total += length;
        if (total > limit) return void socket.end("INSTREAM size limit exceeded. ERROR\0");
        data.push(buffer.subarray(4, 4 + length));
        buffer = buffer.subarray(4 + length);
      }
    });
  });
  server.listen(path);
  return once(server, "listening").then(() => server);
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-clamd-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("clamd client against a fake clamd", () => {
  it("clean, infected, over the size limit, and PING", async () => {
    const path = join(dir, "fake.sock");
    const server = await fakeClamd(path, "scan", 4096);
    const client = new ClamdClient({ socket: path, timeoutMs: 2000, chunkBytes: 100 });
    try {
      assert.deepEqual(await client.scan(Buffer.from(message())), { infected: false });
      assert.deepEqual(await client.scan(Buffer.from(withAttachment(EICAR))), {
        infected: true,
        signature: "Eicar-Signature",
      });
      await assert.rejects(client.scan(Buffer.alloc(10_000, 65)), /size limit exceeded/);
      assert.equal(await client.ping(), true);
    } finally {
      server.close();
    }
  });

  it("a clamd that does not answer times out; a missing socket fails fast", async () => {
    const path = join(dir, "silent.sock");
    const server = await fakeClamd(path, "silent");
    try {
      await assert.rejects(
        new ClamdClient({ socket: path, timeoutMs: 200, chunkBytes: 1024 }).scan(Buffer.from("x")),
        /did not answer/,
      );
    } finally {
      server.close();
    }
    await assert.rejects(
      new ClamdClient({ socket: join(dir, "none.sock"), timeoutMs: 1000, chunkBytes: 1024 }).scan(
        Buffer.from("x"),
      ),
      /ENOENT/,
    );
  });

  it("through the engine: malware forces reject; a scan failure only adds a note", async () => {
    const path = join(dir, "engine.sock");
    const server = await fakeClamd(path, "scan");
    try {
      const t = testEngine({}, { clamd: { socket: path } });
      const infected = await t.check({ raw: withAttachment(EICAR) });
      assert.equal(infected.hits.get("VIRUS_FOUND"), "Eicar-Signature");
      assert.equal(infected.action, "reject");
      assert.ok(!(await t.check({ raw: message() })).hits.has("VIRUS_FOUND"));
    } finally {
      server.close();
    }
    const down = await testEngine({}, { clamd: { socket: join(dir, "gone.sock") } }).check({
      raw: message(),
    });
    assert.ok(down.hits.has("VIRUS_SCAN_FAILED"));
    assert.equal(down.action, "accept");
  });
});

describe(
  "clamd client against the real clamd",
  { skip: existsSync(CLAMD) ? false : `${CLAMD} is not installed` },
  () => {
    let clamd: ChildProcess | undefined;
    let socket: string;

    before(async () => {
      const db = join(dir, "db");
      socket = join(dir, "clamd.sock");
      await rm(db, { recursive: true, force: true });
      const { mkdir } = await import("node:fs/promises");
      await mkdir(db);
      // A hash signature (.hdb: md5:size:name) for the EICAR file: clamd needs no other database.
      const md5 = createHash("md5").update(EICAR).digest("hex");
      await writeFile(
        join(db, "mailstack-test.hdb"),
        `${md5}:${EICAR.length}:Mailstack-Test-EICAR\n`,
      );
      const conf = join(dir, "clamd.conf");
      await writeFile(
        conf,
        `LocalSocket ${socket}\nDatabaseDirectory ${db}\nForeground yes\nTemporaryDirectory ${dir}\nPidFile ${join(dir, "clamd.pid")}\n`,
      );
      clamd = spawn(CLAMD, ["-c", conf], { stdio: "ignore" });
      const client = new ClamdClient({ socket, timeoutMs: 1000, chunkBytes: 65536 });
      for (let i = 0; i < 200; i++) {
        if (await client.ping().catch(() => false)) return;
        await sleep(100);
      }
      throw new Error("clamd did not start within 20 s");
    });

    after(async () => {
      if (clamd && clamd.exitCode === null) {
        const exited = once(clamd, "exit");
        clamd.kill("SIGTERM");
        await exited;
      }
    });

    it("finds the EICAR file in a MIME attachment and passes clean mail", async () => {
      const client = new ClamdClient({ socket, timeoutMs: 10_000, chunkBytes: 1024 });
      assert.deepEqual(await client.scan(Buffer.from(withAttachment(EICAR))), {
        infected: true,
        signature: "Mailstack-Test-EICAR.UNOFFICIAL",
      });
      assert.deepEqual(await client.scan(Buffer.from(message())), { infected: false });
    });
  },
);
