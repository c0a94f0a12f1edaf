/**
 * NOOP (RFC 9051 §6.1.2) and CHECK (RFC 3501 §6.4.1, removed in IMAP4rev2 and kept as NOOP):
 * nothing but the untagged updates the dispatcher sends after every command.
 */
import { defineCommand, noArgs } from "../session/command.ts";
import { ANY, SELECTED } from "../session/state.ts";

export const noop = defineCommand({
  name: "NOOP",
  states: ANY,
  args: [],
  updates: "all",
  parse: noArgs,
  run() {},
});

export const check = defineCommand({
  name: "CHECK",
  states: SELECTED,
  args: [],
  updates: "all",
  parse: noArgs,
  run() {},
});
