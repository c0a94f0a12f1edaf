/** Every command the server knows, by keyword. APOP is absent on purpose (see replies.ts). */
import type { Command } from "../command.ts";
import { auth } from "./auth.ts";
import { capa } from "./capa.ts";
import { dele } from "./dele.ts";
import { list } from "./list.ts";
import { noop } from "./noop.ts";
import { pass } from "./pass.ts";
import { quit } from "./quit.ts";
import { retr } from "./retr.ts";
import { rset } from "./rset.ts";
import { stat } from "./stat.ts";
import { stls } from "./stls.ts";
import { top } from "./top.ts";
import { uidl } from "./uidl.ts";
import { user } from "./user.ts";

const ALL: readonly Command[] = [
  capa,
  stls,
  user,
  pass,
  auth,
  quit,
  stat,
  list,
  retr,
  top,
  uidl,
  dele,
  rset,
  noop,
];

export const COMMANDS: ReadonlyMap<string, Command> = new Map(ALL.map((c) => [c.name, c]));
