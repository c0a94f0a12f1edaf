/**
 * Whether mailstack runs on a data directory, for `mailstack restore`, which must not replace
 * files under running servers. Three signs, any one is enough: the local runner's status file
 * names a live runner; it names server processes still alive (a runner killed with -9 leaves
 * them); a live MTA holds the queue's lock (an MTA started on its own, without the runner).
 */
import { defaultSpoolDir } from "../../servers/mta/queue/config.ts";
import { lockHolder } from "../../servers/mta/queue/lock.ts";
import { isProcessAlive, readStatus, statusPath } from "../runner/status-file.ts";

/** Says what runs on `dataDir`, or undefined when nothing does. */
export async function whatRuns(dataDir: string): Promise<string | undefined> {
  const status = await readStatus(dataDir).catch(() => undefined); // unreadable: no sign
  if (status !== undefined) {
    const { pid, startedAt } = status.runner;
    if (isProcessAlive(pid)) {
      return `mailstack runs on it (runner pid ${pid}, started ${startedAt}, ${statusPath(dataDir)})`;
    }
    const alive = status.servers.filter((s) => s.pid !== undefined && isProcessAlive(s.pid));
    if (alive.length > 0) {
      const which = alive.map((s) => `${s.name} pid ${s.pid}`).join(", ");
      return `servers of an earlier run are still alive (${which})`;
    }
  }
  const spool = defaultSpoolDir(dataDir);
  const mta = await lockHolder(spool);
  if (mta !== undefined) return `an MTA (pid ${mta}) holds the queue in ${spool}`;
  return undefined;
}
