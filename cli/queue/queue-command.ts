/**
 * `mailstack queue`: the MTA's queue for operators.
 *
 *   mailstack queue list               [--data-dir DIR | --config FILE | --spool DIR] [--json]
 *   mailstack queue show ID            (envelope, per-recipient state, message header)
 *   mailstack queue retry ID | --all   (pending recipients become due now)
 *   mailstack queue delete ID          (removed without a bounce)
 *
 * The spool is `<dataDir>/queue` (defaultSpoolDir). Reading needs no lock: every spool file is
 * replaced atomically. Changes are safe while the MTA runs: when a live process holds the
 * spool's lock, retry and delete are written as request files into `<spool>/control/`, which
 * the running queue applies within half a second and then deletes (the command waits for that);
 * when nothing holds it, the command takes the lock and changes the spool itself.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { listSpool, removeOnDisk, retryOnDisk, showSpool } from "../../servers/mta/queue/admin.ts";
import { defaultSpoolDir } from "../../servers/mta/queue/config.ts";
import {
  awaitRequest,
  submitRequest,
  type ControlRequest,
} from "../../servers/mta/queue/control.ts";
import { headerBlock } from "../../servers/mta/queue/dsn.ts";
import { QueueError, SpoolLockedError } from "../../servers/mta/queue/errors.ts";
import { REQUEST_WAIT_MS } from "../../servers/mta/queue/limits.ts";
import { acquireSpoolLock, lockHolder } from "../../servers/mta/queue/lock.ts";
import { assertQueueId, Spool } from "../../servers/mta/queue/spool.ts";
import { dataDirOf, resolveConfig } from "../config-source.ts";
import { formatList, formatShow } from "./format.ts";

export const QUEUE_USAGE = `Usage: mailstack queue <list | show ID | retry ID | retry --all | delete ID>
         [--data-dir DIR | --config FILE | --spool DIR] [--json]`;

export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

export async function queueCommand(argv: readonly string[], io: Io = process): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      config: { type: "string" },
      "data-dir": { type: "string" },
      spool: { type: "string" },
      json: { type: "boolean", default: false },
      all: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [action, id, ...extra] = positionals;
  const usage = (problem: string) => {
    io.stderr.write(`mailstack queue: ${problem}\n\n${QUEUE_USAGE}\n`);
    return 64; // EX_USAGE
  };
  if (extra.length > 0) return usage(`unexpected ${extra.join(" ")}`);
  const spoolDir =
    values.spool !== undefined
      ? resolve(values.spool)
      : defaultSpoolDir(
          values["data-dir"] !== undefined
            ? resolve(values["data-dir"])
            : dataDirOf(await resolveConfig(values.config)),
        );
  const spool = new Spool(spoolDir);
  const out = (text: string, data: unknown) =>
    io.stdout.write(`${values.json ? JSON.stringify(data, null, 2) : text}\n`);

  try {
    switch (action) {
      case "list": {
        if (id !== undefined) return usage("list takes no queue id");
        const entries = await listSpool(spool).catch((error: unknown) => {
          if (error instanceof Error && "code" in error && error.code === "ENOENT") return [];
          throw error;
        });
        out(formatList(entries), entries);
        return 0;
      }
      case "show": {
        if (id === undefined) return usage("show needs a queue id");
        assertQueueId(id);
        const entry = await showSpool(spool, id);
        const header = headerBlock((await spool.readMessage(id)).raw).toString("utf8");
        out(formatShow(entry, header), { ...entry, header });
        return 0;
      }
      case "retry":
      case "delete": {
        if (action === "retry" && values.all === (id !== undefined)) {
          return usage("retry needs a queue id or --all");
        }
        if (action === "delete" && (id === undefined || values.all)) {
          return usage("delete needs one queue id");
        }
        const target = id ?? "all";
        if (target !== "all") assertQueueId(target);
        const request: ControlRequest =
          action === "retry" ? { action, id: target } : { action: "delete", id: target };
        return await change(spool, request, io, out);
      }
      case undefined:
      case "help":
        io.stdout.write(`${QUEUE_USAGE}\n`);
        return action === undefined ? 64 : 0;
      default:
        return usage(`unknown action "${action}"`);
    }
  } catch (error) {
    if (error instanceof QueueError && error.userError) {
      io.stderr.write(`mailstack queue: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function change(
  spool: Spool,
  request: ControlRequest,
  io: Io,
  out: (text: string, data: unknown) => unknown,
): Promise<number> {
  const what = request.action === "retry" ? `retry ${request.id}` : `delete ${request.id}`;
  let holder = await lockHolder(spool.root);
  if (holder === undefined) {
    try {
      const lock = await acquireSpoolLock(spool.root);
      try {
        await spool.init();
        const count =
          request.action === "retry"
            ? await retryOnDisk(spool, request.id, Date.now())
            : (await removeOnDisk(spool, request.id), 1);
        out(
          `${what}: done on the spool (${count} message(s)); no MTA is running, delivery resumes when it starts.`,
          { applied: "spool", action: request.action, id: request.id, messages: count },
        );
        return 0;
      } finally {
        await lock.release();
      }
    } catch (error) {
      if (!(error instanceof SpoolLockedError)) throw error;
      holder = error.pid; // an MTA started meanwhile: ask it instead
    }
  }
  if (request.id !== "all") await spool.readEnvelope(request.id); // not found: say so now
  const path = await submitRequest(spool.root, request);
  if (await awaitRequest(path, REQUEST_WAIT_MS)) {
    out(`${what}: applied by the running MTA (pid ${holder}).`, {
      applied: "mta",
      pid: holder,
      action: request.action,
      id: request.id,
    });
    return 0;
  }
  io.stderr.write(
    `mailstack queue: ${what}: the MTA (pid ${holder}) has not picked the request up yet; it stays in ${path}\n`,
  );
  return 75; // EX_TEMPFAIL
}
