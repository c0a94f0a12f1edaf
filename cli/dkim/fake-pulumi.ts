/**
 * A stand-in for the `pulumi` CLI in cli/dkim/rotate.test.ts only (no Pulumi CLI can run here:
 * shared/ENVIRONMENT.md). The test puts a wrapper named `pulumi` first on PATH that runs this
 * file with Node 24 (which strips the types itself).
 *
 * It appends its argv and working directory, as one JSON line, to $FAKE_PULUMI_LOG, then applies
 * `config set-all --path` / `config rm-all --path` to the stack file the way Pulumi does, so that
 * successive `mailstack dkim rotate` runs walk a whole rotation:
 * - the stack file is `<stackConfigDir>/Pulumi.<stack>.yaml` of the Pulumi.yaml in the working
 *   directory (Pulumi refuses to run without a project);
 * - `ns:key[0].sub[2].leaf` addresses the `ns:key` entry of `config:`; an index equal to the
 *   list's length appends, a larger one is an error; removing a list element splices it out
 *   (sdk/go/common/resource/config/map.go, object.go);
 * - values "true"/"false" become booleans and integers numbers, as `--path` does.
 * Anything else exits with 2, so an unexpected command fails the test. $FAKE_PULUMI_FAIL makes
 * it fail like Pulumi does, after logging and before writing.
 */
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isSeq, parse, parseDocument } from "yaml";

type Segment = string | number;

function die(message: string, code = 2): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

/** `mailstack:domains[0].dkim[2].state` -> `["config", "mailstack:domains", 0, "dkim", 2, "state"]` */
function documentPath(key: string): Segment[] {
  const colon = key.indexOf(":");
  const match = /^([A-Za-z_][\w-]*)(.*)$/.exec(key.slice(colon + 1));
  if (colon < 0 || match === null) die(`invalid config key path ${key}`);
  const path: Segment[] = ["config", `${key.slice(0, colon)}:${match[1]}`];
  const rest = match[2] ?? "";
  const segment = /\.([A-Za-z_][\w-]*)|\[(\d+)\]/gy;
  let at = 0;
  for (let m = segment.exec(rest); m !== null; m = segment.exec(rest)) {
    path.push(m[1] ?? Number(m[2]));
    at = segment.lastIndex;
  }
  if (at !== rest.length) die(`invalid config key path ${key}`);
  return path;
}

function pathValue(text: string): string | number | boolean {
  if (text === "true" || text === "false") return text === "true";
  return /^-?[1-9]\d*$|^0$/.test(text) ? Number(text) : text;
}

const argv = process.argv.slice(2);
const log = process.env.FAKE_PULUMI_LOG;
if (log !== undefined) {
  appendFileSync(log, `${JSON.stringify({ argv, cwd: process.cwd() })}\n`);
}

const [group, verb, ...rest] = argv;
if (group !== "config" || (verb !== "set-all" && verb !== "rm-all")) {
  die(`the fake pulumi knows only config set-all/rm-all, not: ${argv.join(" ")}`);
}
let stack: string | undefined;
let pathMode = false;
const sets: [string, string][] = [];
const keys: string[] = [];
for (let i = 0; i < rest.length; i++) {
  const arg = rest[i] ?? "";
  if (arg === "--stack" || arg === "-s") stack = rest[++i];
  else if (arg === "--path") pathMode = true;
  else if (arg === "--plaintext" && verb === "set-all") {
    const pair = rest[++i] ?? "";
    const eq = pair.indexOf("=");
    if (eq < 1) die(`expected key=value after --plaintext, got ${pair}`);
    sets.push([pair.slice(0, eq), pair.slice(eq + 1)]);
  } else if (!arg.startsWith("-") && verb === "rm-all") keys.push(arg);
  else die(`unexpected argument ${arg}`);
}
if (stack === undefined || !pathMode) die("the fake pulumi expects --stack and --path");

let project: { stackConfigDir?: string } | null;
try {
  project = parse(readFileSync("Pulumi.yaml", "utf8")) as { stackConfigDir?: string } | null;
} catch {
  die("no Pulumi.yaml project file found", 255);
}
const file = join(project?.stackConfigDir ?? ".", `Pulumi.${stack}.yaml`);
if (process.env.FAKE_PULUMI_FAIL !== undefined) die(process.env.FAKE_PULUMI_FAIL, 255);
const doc = parseDocument(readFileSync(file, "utf8"));

for (const [key, value] of sets) {
  const path = documentPath(key);
  // Walk to the parent, refusing gaps in lists as Pulumi does ("array index out of range").
  for (let depth = 2; depth < path.length; depth++) {
    const container = doc.getIn(path.slice(0, depth), true);
    const index = path[depth];
    if (isSeq(container) && typeof index === "number" && index > container.items.length) {
      die(`array index out of range: ${key}`);
    }
    if (container === undefined) break;
  }
  doc.setIn(path, pathValue(value));
}
for (const key of keys) {
  const path = documentPath(key);
  const parent = doc.getIn(path.slice(0, -1), true);
  if (isSeq(parent) || isMap(parent)) doc.deleteIn(path);
}
// Written back with the file's own flow style (`[a, b]`), so only the edited lines differ.
writeFileSync(file, doc.toString({ flowCollectionPadding: false }));
