/**
 * APPEND (RFC 9051 §6.3.12): `APPEND mailbox [(flags)] [date-time] literal`, the literal
 * possibly non-synchronizing (LITERAL+) or literal8 (RFC 3516), or wrapped as `UTF8 (~{n})`
 * (RFC 6855 §4). Answers APPENDUID (RFC 4315). A missing mailbox is TRYCREATE; over quota is
 * OVERQUOTA (RFC 9208); the size limit is enforced while framing (TOOBIG, RFC 7889).
 */
import type { InternalDate } from "../../store/index.ts";
import { fromStoreError, bad, no } from "../protocol/errors.ts";
import { parseDateTime } from "../protocol/date-time.ts";
import { mailboxArg } from "../protocol/mailbox-name.ts";
import { isAtom, type Token } from "../protocol/tokens.ts";
import { defineCommand } from "../session/command.ts";
import { AUTHENTICATED } from "../session/state.ts";
import { encodeBinaryParts } from "./encode-binary.ts";
import { flags as flagList } from "./flag-args.ts";

interface AppendArgs {
  readonly mailbox: string;
  readonly flags: readonly string[];
  readonly date: InternalDate | undefined;
  readonly message: Buffer;
}

function parseAppend(args: readonly Token[], { utf8 }: { utf8: boolean }): AppendArgs {
  const mailbox = mailboxArg(args[0], utf8);
  let i = 1;
  let flags: string[] = [];
  let date: InternalDate | undefined;
  if (args[i]?.kind === "list") flags = flagList([args[i++] as Token]);
  const maybeDate = args[i];
  if (maybeDate?.kind === "string" && maybeDate.form === "quoted") {
    date = parseDateTime(maybeDate.value.toString("latin1"));
    i++;
  }
  let message = args[i++];
  if (isAtom(message, "UTF8")) {
    const wrapped = args[i++];
    if (wrapped?.kind !== "list" || wrapped.items.length !== 1) throw bad("Invalid UTF8 literal");
    message = wrapped.items[0];
  }
  if (message?.kind !== "string" || message.form === "quoted" || i !== args.length) {
    throw bad("APPEND takes a mailbox, optional flags and date, and the message as a literal");
  }
  return { mailbox, flags, date, message: message.value };
}

export const append = defineCommand({
  name: "APPEND",
  states: AUTHENTICATED,
  args: ["astring", "any", "any..."],
  updates: "all",
  parse: parseAppend,
  async run({ state }, args) {
    if (args.message.length === 0) throw no("Empty message");
    const target = await state.account.getMailbox(args.mailbox);
    if (!target) throw no("Mailbox does not exist", "TRYCREATE");
    let result;
    try {
      result = await state.account.append(target.id, encodeBinaryParts(args.message), {
        flags: args.flags,
        ...(args.date ? { internalDate: args.date } : {}),
      });
    } catch (error) {
      throw fromStoreError(error, { trycreate: true });
    }
    if (result.duplicate) return;
    if (state.kind === "selected" && state.mailbox.id === target.id) state.mailbox.markDirty();
    return { code: `APPENDUID ${result.uidValidity} ${result.uid}`, text: "APPEND completed" };
  },
});
