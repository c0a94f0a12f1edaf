/** CAPABILITY (RFC 9051 §6.1.1). */
import { atom } from "../protocol/serializer.ts";
import { defineCommand, noArgs } from "../session/command.ts";
import { ANY } from "../session/state.ts";

export const capability = defineCommand({
  name: "CAPABILITY",
  states: ANY,
  args: [],
  updates: "all",
  parse: noArgs,
  run({ session }) {
    session.send([atom("CAPABILITY"), ...session.capabilities().map(atom)]);
  },
});
