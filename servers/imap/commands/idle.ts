/**
 * IDLE (RFC 2177, RFC 9051 §6.3.13): after "+ idling", changes to the selected mailbox are
 * pushed as they happen (store events arrive within a second, from any process), expunges
 * included, until the client sends DONE. A keepalive "* OK Still here" goes out now and then so
 * NAT boxes keep the connection; starting IDLE re-arms the 30-minute autologout timer.
 */
import { isStoreError } from "../../store/index.ts";
import { bad } from "../protocol/errors.ts";
import { atom } from "../protocol/serializer.ts";
import { defineCommand, noArgs } from "../session/command.ts";
import { AUTHENTICATED } from "../session/state.ts";

export const idle = defineCommand({
  name: "IDLE",
  states: AUTHENTICATED,
  args: [],
  updates: "none",
  parse: noArgs,
  async run({ session, state }) {
    session.continuation("idling");
    session.rearmTimer();
    const done = new AbortController();
    const line = session.readLine().finally(() => done.abort());
    const keepalive = setInterval(
      () => session.send([atom("OK"), atom("Still here")]),
      session.settings.idleKeepaliveMs,
    );
    keepalive.unref();
    const untilDone = () =>
      done.signal.aborted
        ? Promise.resolve()
        : new Promise((resolve) => done.signal.addEventListener("abort", resolve));
    try {
      while (!done.signal.aborted) {
        if (state.kind !== "selected") {
          await untilDone();
          break;
        }
        try {
          await state.mailbox.sync(session.updates, true, state.account);
          await session.flush();
        } catch (error) {
          if (isStoreError(error, "NONEXISTENT")) {
            session.bye("Selected mailbox was deleted");
            return;
          }
          // The line reader stays armed: wait for DONE rather than leave it dangling.
          session.log.error({ err: error }, "IDLE could not read changes");
          await untilDone();
          break;
        }
        if (!state.mailbox.pending) await state.mailbox.waitForChange(done.signal);
      }
    } finally {
      clearInterval(keepalive);
    }
    const received = await line;
    if (received === undefined) return;
    if (received.toString("latin1").trim().toUpperCase() !== "DONE") throw bad("Expected DONE");
    return { text: "IDLE terminated" };
  },
});
