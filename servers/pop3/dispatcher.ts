/**
 * One command line to one command: parse the keyword and arguments, check the state, TLS and
 * arity once (RFC 1939 §3: "-ERR" for an unknown command or one in the wrong state), run it,
 * and turn a ProtocolError into its reply.
 */
import type { CommandContext, CommandState, StateOf } from "./command.ts";
import { COMMANDS } from "./commands/registry.ts";
import { TransferAborted } from "./message-stream.ts";
import { ProtocolError, REPLIES, type Reply } from "./replies.ts";

/** How a line went: `bad` lines count towards the disconnect limit. */
export type Outcome = "ok" | "bad" | "hang-up";

const HTTP_REQUEST = /^(?:GET|POST|HEAD|PUT|DELETE|OPTIONS|CONNECT|PATCH|TRACE) \S+ HTTP\/\d/i;

export interface ParsedLine {
  /** The keyword, upper case. */
  readonly verb: string;
  /** Everything after the first space, as sent. */
  readonly rest: string;
}

export function parseLine(line: string): ParsedLine {
  const space = line.indexOf(" ");
  return space === -1
    ? { verb: line.toUpperCase(), rest: "" }
    : { verb: line.slice(0, space).toUpperCase(), rest: line.slice(space + 1) };
}

export async function dispatch(
  ctx: CommandContext,
  state: StateOf<CommandState>,
  line: string,
): Promise<Outcome> {
  if (HTTP_REQUEST.test(line)) {
    await ctx.reply(REPLIES.httpRequest);
    return "hang-up";
  }
  const { verb, rest } = parseLine(line);
  const command = COMMANDS.get(verb);
  if (!command) return refuse(ctx, REPLIES.unknownCommand);
  if (!command.states.includes(state.kind)) return refuse(ctx, REPLIES.wrongState);
  if (command.needsTls && !ctx.secure) return refuse(ctx, REPLIES.tlsRequired);

  let args: string[];
  if (command.args.rest) args = rest === "" ? [] : [rest];
  else args = rest.trim() === "" ? [] : rest.trim().split(/[ \t]+/);
  if (args.length < command.args.min || args.length > command.args.max) {
    return refuse(ctx, REPLIES.badArguments);
  }

  try {
    await command.run(ctx, state, args);
    return "ok";
  } catch (error) {
    if (error instanceof ProtocolError) {
      if (!error.userError) ctx.log.error({ err: error.cause ?? error }, `${verb} failed`);
      await ctx.reply(error.reply);
      return "ok";
    }
    if (error instanceof TransferAborted) {
      // The status line went out; only hanging up tells the client the data is incomplete.
      ctx.log.warn({ err: error }, `${verb} aborted mid-transfer`);
      return "hang-up";
    }
    ctx.log.error({ err: error }, `${verb} failed`);
    await ctx.reply(REPLIES.storeDown);
    return "ok";
  }
}

async function refuse(ctx: CommandContext, reply: Reply): Promise<Outcome> {
  await ctx.reply(reply);
  return "bad";
}
