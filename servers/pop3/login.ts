/**
 * The end of every login (USER/PASS and AUTH PLAIN): the directory checks the password, the
 * maildrop is locked and its snapshot taken, and the session enters TRANSACTION state
 * (RFC 1939 §4). The directory throttles repeated failures and makes every failure take the same
 * time; the connection counts its own failures and hangs up after a few.
 */
import type { CommandContext } from "./command.ts";
import { Maildrop } from "./maildrop.ts";
import { REPLIES } from "./replies.ts";

export async function login(
  ctx: CommandContext,
  name: string,
  password: string,
  mechanism: "USER" | "PLAIN",
): Promise<void> {
  const { directory, locks, store } = ctx.deps;
  const result = await directory.authenticate(name, password, {
    remoteAddress: ctx.remoteAddress,
  });
  if (!result.ok) {
    ctx.log.info({ login: name, mechanism, reason: result.reason }, "login failed");
    ctx.authenticationFailed();
    const reply =
      result.reason === "invalid"
        ? REPLIES.authFailed
        : result.reason === "throttled"
          ? REPLIES.authThrottled
          : REPLIES.directoryDown;
    await ctx.reply(reply);
    return;
  }

  const { user } = result;
  const release = locks.tryAcquire(user.id);
  if (!release) {
    ctx.log.info({ user: user.id }, "maildrop in use by another POP3 session");
    await ctx.reply(REPLIES.maildropLocked);
    return;
  }
  let maildrop: Maildrop;
  try {
    maildrop = await Maildrop.open(store, user.id, release);
  } catch (error) {
    ctx.log.error({ err: error, user: user.id }, "cannot open the maildrop");
    await ctx.reply(REPLIES.storeDown);
    return;
  }
  if (ctx.closed) {
    // The client went away while we were opening; nothing to keep open for it.
    await maildrop.close();
    return;
  }
  ctx.setState({ kind: "transaction", userId: user.id, maildrop });
  const { count, size } = maildrop.totals();
  ctx.log.info({ user: user.id, mechanism, messages: count }, "logged in");
  await ctx.reply(REPLIES.loggedIn(count, size));
}
