/** ID (RFC 2971): the client's identification is logged; ours is sent back. */
import { ID_MAX_FIELDS } from "../limits.ts";
import { bad } from "../protocol/errors.ts";
import { atom, str } from "../protocol/serializer.ts";
import { isAtom, list, nstring } from "../protocol/tokens.ts";
import { defineCommand } from "../session/command.ts";
import { ANY } from "../session/state.ts";

export const id = defineCommand({
  name: "ID",
  states: ANY,
  args: ["any"],
  updates: "all",
  parse: ([arg]) => {
    if (isAtom(arg, "NIL")) return {};
    const items = list(arg, "ID field list");
    if (items.length % 2 !== 0 || items.length / 2 > ID_MAX_FIELDS) {
      throw bad("ID takes up to 30 field/value pairs");
    }
    const fields: Record<string, string | null> = {};
    for (let i = 0; i < items.length; i += 2) {
      const name = nstring(items[i], "field name");
      if (name === null || name.length > 30) throw bad("Invalid ID field name");
      fields[name] = nstring(items[i + 1], "field value")?.slice(0, 1024) ?? null;
    }
    return fields;
  },
  run({ session }, fields) {
    if (Object.keys(fields).length > 0) session.log.info({ client: fields }, "client ID");
    session.send([atom("ID"), [str("name"), str("mailstack"), str("vendor"), str("mailstack")]]);
  },
});
