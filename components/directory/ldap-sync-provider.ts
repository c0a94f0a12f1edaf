/**
 * The dynamic provider that reconciles the stack's users, aliases and groups into OpenLDAP on
 * every `pulumi up`: create and update make the stack's subtree hold exactly the declared
 * entries (adding, changing and removing), delete removes the subtree, read reports what is
 * there (for `pulumi refresh`).
 *
 * Ownership: the stack owns one subtree, `ou=mailstack,<base DN>`, whose entry carries MARKER in
 * its `description`. Everything below it is the stack's (hand-made entries there are removed);
 * nothing outside it is ever written or removed. An existing subtree without the marker is
 * refused, and so is an entry outside the subtree that claims one of the stack's addresses
 * (servers would let neither of two claimants log in).
 *
 * Passwords: a `userPassword` value made from a config hash is written as given. A plain
 * password (a Pulumi secret) is hashed here with argon2id, once: while it stays the same in the
 * config, the hash written last is kept, so a second `pulumi up` changes nothing. A password the
 * user changed in the directory since the stack last wrote it is left alone until the config's
 * password changes.
 *
 * Pulumi serializes these methods into the deployment (ENVIRONMENT.md): this file imports
 * nothing at run time but ldap-changes.ts (itself import-free), and loads packages with
 * createRequire inside the methods.
 */
import type * as Argon2 from "@node-rs/argon2";
import type * as Ldapts from "ldapts";
import type { LdapEntry } from "../../servers/shared/directory/ldap-entries.ts";
import { dnKey, isWithin, planChanges, type LdapChange } from "./ldap-changes.ts";

/** In the `description` of the subtree's entry: what makes the subtree the stack's. */
export const MARKER =
  "mailstack: managed by pulumi up; every entry below is created, changed and removed from the stack config";

export type PasswordInput = { readonly userPassword: string } | { readonly password: string };

export interface LdapSyncInputs {
  /** `ldap://host:port` or `ldaps://host:port`, reachable from the machine running pulumi. */
  readonly url: string;
  /** An account that may write the subtree (the database's rootdn). */
  readonly bindDN: string;
  readonly bindPassword: string;
  /** The stack's subtree, `ou=<name>,<base DN>`; the base entry must exist. */
  readonly ownedBase: string;
  /** The entries below `ownedBase`, without `userPassword`. */
  readonly entries: readonly LdapEntry[];
  /** Per DN (as in `entries`), the password to set. */
  readonly passwords: Readonly<Record<string, PasswordInput>>;
  /** The longest one LDAP operation may take, in milliseconds. Default 10000. */
  readonly timeoutMs?: number;
  /**
   * StartTLS on an `ldap://` URL before binding, verified against `ca` (PEM; default the
   * system's CAs) for `servername` (the name on the directory's certificate). Our directory
   * refuses every operation in clear.
   */
  readonly startTls?: { readonly ca?: string; readonly servername?: string };
}

export interface LdapSyncState extends LdapSyncInputs {
  /** Per DN key, the `userPassword` the stack last wrote (or found and kept). */
  readonly written: Readonly<Record<string, string>>;
  /** What the last apply did, for the deployment log. */
  readonly lastApply: {
    readonly added: number;
    readonly modified: number;
    readonly deleted: number;
  };
}

/** The subtree's own entry. */
export function ownedBaseEntry(ownedBase: string): LdapEntry {
  const ou = /^ou=([^,]+),/i.exec(ownedBase)?.[1];
  if (ou === undefined)
    throw new RangeError(`the stack's subtree must be ou=...,<base>: ${ownedBase}`);
  return {
    dn: ownedBase,
    attributes: { objectClass: ["organizationalUnit"], ou: [ou], description: [MARKER] },
  };
}

type Client = Ldapts.Client;

function ldapts(): typeof Ldapts {
  const require = process.getBuiltinModule("node:module").createRequire(`${process.cwd()}/`);
  return require("ldapts") as typeof Ldapts;
}

/** LDAP result codes (RFC 4511 §4.1.9) whose message ldapts leaves empty. */
const RESULT_NAMES: Readonly<Record<number, string>> = {
  32: "no such object",
  50: "insufficient access rights",
  65: "object class violation",
  68: "entry already exists",
};

/** The error a person reads in `pulumi up`: where, doing what, and what to check. */
function explain(inputs: LdapSyncInputs, what: string, error: unknown): Error {
  const e = error as { code?: unknown; message?: unknown };
  const name = typeof e.code === "number" ? RESULT_NAMES[e.code] : undefined;
  const message = typeof e.message === "string" ? e.message.trim() : "";
  const reason = name ? `${name} (${message})` : message !== "" ? message : String(error);
  const where = `directory ${inputs.url}`;
  if (e.code === 49) {
    return new Error(`${where}: ${what}: ${inputs.bindDN} was refused (invalid credentials)`);
  }
  if (typeof e.code === "string" || /ECONNREFUSED|ETIMEDOUT|timeout|connect/i.test(reason)) {
    return new Error(
      `${where}: ${what}: cannot reach the directory (${reason}); is it running, and is its port reachable from the machine running pulumi?`,
      { cause: error },
    );
  }
  return new Error(`${where}: ${what}: ${reason}`, { cause: error });
}

async function connect(inputs: LdapSyncInputs): Promise<Client> {
  const timeout = inputs.timeoutMs ?? 10_000;
  const client = new (ldapts().Client)({ url: inputs.url, timeout, connectTimeout: timeout });
  let step = "starting TLS (StartTLS)";
  try {
    if (inputs.startTls) {
      const { ca, servername } = inputs.startTls;
      await client.startTLS({
        minVersion: "TLSv1.2",
        ...(ca === undefined ? {} : { ca }),
        ...(servername === undefined ? {} : { servername }),
      });
    }
    step = `binding as ${inputs.bindDN}`;
    await client.bind(inputs.bindDN, inputs.bindPassword);
  } catch (error) {
    await client.unbind().catch(() => undefined);
    throw explain(inputs, step, error);
  }
  return client;
}

/** An ldapts entry as an LdapEntry with string values. */
function toLdapEntry(entry: Ldapts.Entry): LdapEntry {
  const attributes: Record<string, string[]> = {};
  for (const [name, raw] of Object.entries(entry)) {
    if (name === "dn") continue;
    const list = Array.isArray(raw) ? raw : [raw];
    attributes[name] = list.map((v) => (Buffer.isBuffer(v) ? v.toString("utf8") : String(v)));
  }
  return { dn: entry.dn, attributes };
}

/** Everything at or below `base`; empty when `base` does not exist. */
async function readSubtree(client: Client, base: string): Promise<LdapEntry[]> {
  try {
    const { searchEntries } = await client.search(base, { scope: "sub", attributes: ["*"] });
    return searchEntries.map(toLdapEntry);
  } catch (error) {
    if ((error as { code?: unknown }).code === 32) return [];
    throw error;
  }
}

function attribute(entry: LdapEntry, name: string): readonly string[] {
  const key = Object.keys(entry.attributes).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? [] : (entry.attributes[key] ?? []);
}

/** Entries outside the subtree that claim one of the stack's addresses, as "address (dn)". */
async function foreignClaims(
  client: Client,
  inputs: LdapSyncInputs,
  searchBase: string,
): Promise<string[]> {
  const addresses = [
    ...new Set(
      inputs.entries.flatMap((e) =>
        [...attribute(e, "mail"), ...attribute(e, "mailLocalAddress")].map((a) => a.toLowerCase()),
      ),
    ),
  ];
  const { EqualityFilter, OrFilter } = ldapts();
  const claims: string[] = [];
  for (let i = 0; i < addresses.length; i += 64) {
    const batch = addresses.slice(i, i + 64);
    const filter = new OrFilter({
      filters: batch.flatMap((value) => [
        new EqualityFilter({ attribute: "mail", value }),
        new EqualityFilter({ attribute: "mailLocalAddress", value }),
      ]),
    });
    const { searchEntries } = await client.search(searchBase, {
      scope: "sub",
      filter,
      attributes: ["mail", "mailLocalAddress"],
    });
    for (const found of searchEntries.map(toLdapEntry)) {
      if (isWithin(found.dn, inputs.ownedBase)) continue;
      const theirs = [...attribute(found, "mail"), ...attribute(found, "mailLocalAddress")];
      for (const a of theirs.map((v) => v.toLowerCase()).filter((v) => batch.includes(v))) {
        claims.push(`${a} (${found.dn})`);
      }
    }
  }
  return claims;
}

async function hashPassword(password: string): Promise<string> {
  const require = process.getBuiltinModule("node:module").createRequire(`${process.cwd()}/`);
  const argon2 = require("@node-rs/argon2") as typeof Argon2;
  // The library's defaults are OWASP's argon2id parameters, as in servers/shared/directory/passwords.ts.
  return `{ARGON2}${await argon2.hash(password)}`;
}

/** The userPassword each entry should have, and the new `written` map. */
async function desiredPasswords(
  inputs: LdapSyncInputs,
  previous: LdapSyncState | undefined,
  actual: ReadonlyMap<string, LdapEntry>,
): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const [dn, input] of Object.entries(inputs.passwords)) {
    const key = dnKey(dn);
    const before = previous?.passwords[dn];
    const written = previous?.written[key];
    const unchanged =
      before !== undefined &&
      written !== undefined &&
      JSON.stringify(before) === JSON.stringify(input);
    const current = actual.get(key);
    const now = current ? attribute(current, "userPassword")[0] : undefined;
    if (unchanged && now !== undefined) {
      // Same config as last time: keep what is there, whether we wrote it or the user changed it.
      result.set(key, now);
    } else if (unchanged) {
      result.set(key, written);
    } else {
      result.set(
        key,
        "userPassword" in input ? input.userPassword : await hashPassword(input.password),
      );
    }
  }
  return result;
}

async function apply(client: Client, changes: readonly LdapChange[]): Promise<void> {
  const { Attribute, Change } = ldapts();
  for (const change of changes) {
    const where = change.kind === "add" ? change.entry.dn : change.dn;
    try {
      if (change.kind === "add") {
        const attributes: Record<string, string[]> = {};
        for (const [name, values] of Object.entries(change.entry.attributes)) {
          attributes[name] = [...values];
        }
        await client.add(change.entry.dn, attributes);
      } else if (change.kind === "modify") {
        await client.modify(change.dn, [
          ...Object.entries(change.replace).map(
            ([type, values]) =>
              new Change({
                operation: "replace",
                modification: new Attribute({ type, values: [...values] }),
              }),
          ),
          ...change.remove.map(
            (type) =>
              new Change({
                operation: "delete",
                modification: new Attribute({ type, values: [] }),
              }),
          ),
        ]);
      } else {
        await client.del(change.dn);
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`${change.kind} ${where}: ${reason}`, { cause: error });
    }
  }
}

/** Makes the subtree hold exactly `inputs.entries`; returns the new state. */
async function reconcile(
  inputs: LdapSyncInputs,
  previous: LdapSyncState | undefined,
): Promise<LdapSyncState> {
  const base = ownedBaseEntry(inputs.ownedBase);
  const client = await connect(inputs);
  try {
    const parent = inputs.ownedBase.slice(inputs.ownedBase.indexOf(",") + 1);
    let actual: LdapEntry[];
    try {
      actual = await readSubtree(client, inputs.ownedBase);
      const top = actual.find((e) => dnKey(e.dn) === dnKey(inputs.ownedBase));
      if (top && !attribute(top, "description").includes(MARKER)) {
        throw new Error(
          `${inputs.ownedBase} exists but is not marked as the stack's (description "${MARKER}"); move it away or mark it, the stack will not take over entries it did not make`,
        );
      }
      const claims = await foreignClaims(client, inputs, parent).catch((error: unknown) => {
        if ((error as { code?: unknown }).code !== 32) throw error;
        throw new Error(
          `the base entry ${parent} does not exist; the directory container creates it on first start`,
        );
      });
      if (claims.length > 0) {
        throw new Error(
          `entries outside ${inputs.ownedBase} already use addresses of this stack: ${claims.join(", ")}; remove them or the addresses from the stack config (two entries with one address lock both out)`,
        );
      }
    } catch (error) {
      throw error instanceof Error && !("code" in error)
        ? error
        : explain(inputs, "reading", error);
    }
    const byKey = new Map(actual.map((e) => [dnKey(e.dn), e]));
    const passwords = await desiredPasswords(inputs, previous, byKey);
    const desired = [
      base,
      ...inputs.entries.map((entry) => {
        const password = passwords.get(dnKey(entry.dn));
        return password === undefined
          ? entry
          : { dn: entry.dn, attributes: { ...entry.attributes, userPassword: [password] } };
      }),
    ];
    const changes = planChanges(actual, desired, inputs.ownedBase);
    try {
      await apply(client, changes);
    } catch (error) {
      const missingParent = (error as { cause?: { code?: unknown } }).cause?.code === 32;
      throw explain(
        inputs,
        "writing",
        missingParent
          ? new Error(`${(error as Error).message} (does the base entry ${parent} exist?)`)
          : error,
      );
    }
    return {
      ...inputs,
      written: Object.fromEntries(passwords),
      lastApply: {
        added: changes.filter((c) => c.kind === "add").length,
        modified: changes.filter((c) => c.kind === "modify").length,
        deleted: changes.filter((c) => c.kind === "delete").length,
      },
    };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** The inputs that decide what the directory should hold (not `written` or `lastApply`). */
function declared(state: LdapSyncInputs): string {
  const { url, bindDN, bindPassword, ownedBase, entries, passwords, timeoutMs } = state;
  return JSON.stringify({ url, bindDN, bindPassword, ownedBase, entries, passwords, timeoutMs });
}

export const ldapSyncProvider = {
  async create(inputs: LdapSyncInputs) {
    const outs = await reconcile(inputs, undefined);
    return { id: inputs.ownedBase, outs };
  },

  diff(_id: string, olds: LdapSyncState, news: LdapSyncInputs) {
    const replaces = dnKey(olds.ownedBase) === dnKey(news.ownedBase) ? [] : ["ownedBase"];
    return Promise.resolve({
      changes: declared(olds) !== declared(news),
      replaces,
      deleteBeforeReplace: false,
    });
  },

  async update(_id: string, olds: LdapSyncState, news: LdapSyncInputs) {
    return { outs: await reconcile(news, olds) };
  },

  /** Removes the whole subtree, deepest entries first. */
  async delete(_id: string, props: LdapSyncState) {
    const client = await connect(props);
    try {
      const actual = await readSubtree(client, props.ownedBase);
      const top = actual.find((e) => dnKey(e.dn) === dnKey(props.ownedBase));
      if (!top) return;
      if (!attribute(top, "description").includes(MARKER)) {
        throw new Error(`${props.ownedBase} is no longer marked as the stack's; not removing it`);
      }
      const deletes = planChanges(actual, [], props.ownedBase);
      await apply(client, [...deletes, { kind: "delete", dn: props.ownedBase }]);
    } catch (error) {
      throw explain(props, "removing the stack's entries", error);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  },

  /** What the subtree holds now, so `pulumi refresh` shows entries changed by hand. */
  async read(id: string, props: LdapSyncState) {
    const client = await connect(props);
    try {
      const actual = (await readSubtree(client, props.ownedBase)).filter(
        (e) => dnKey(e.dn) !== dnKey(props.ownedBase),
      );
      const written: Record<string, string> = {};
      const entries = actual.map((e) => {
        const attributes = { ...e.attributes };
        for (const name of Object.keys(attributes)) {
          if (name.toLowerCase() !== "userpassword") continue;
          const [value] = attributes[name] ?? [];
          if (value !== undefined) written[dnKey(e.dn)] = value;
          delete attributes[name];
        }
        return { dn: e.dn, attributes };
      });
      return { id, props: { ...props, entries, written } };
    } catch (error) {
      throw explain(props, "reading", error);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  },
};
