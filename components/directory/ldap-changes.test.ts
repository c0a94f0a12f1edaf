import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dnDepth, dnKey, entryChange, isWithin, planChanges } from "./ldap-changes.ts";

const base = "ou=mailstack,dc=example,dc=com";
const user = (uid: string, attributes: Record<string, string[]> = {}) => ({
  dn: `uid=${uid},ou=people,${base}`,
  attributes: { objectClass: ["inetOrgPerson"], uid: [uid], cn: [uid], sn: [uid], ...attributes },
});
const people = {
  dn: `ou=people,${base}`,
  attributes: { objectClass: ["organizationalUnit"], ou: ["people"] },
};

describe("planChanges", () => {
  it("adds parents before children and deletes children before parents", () => {
    const changes = planChanges([], [user("a"), people], base);
    assert.deepEqual(
      changes.map((c) => (c.kind === "add" ? c.entry.dn : c.kind)),
      [people.dn, user("a").dn],
    );
    const removal = planChanges([user("a"), people], [], base);
    assert.deepEqual(
      removal.map((c) => (c.kind === "delete" ? c.dn : c.kind)),
      [user("a").dn, people.dn],
    );
  });

  it("changes nothing when the entries agree, whatever the value order, name case or DN spacing", () => {
    const actual = {
      dn: `UID=a, ou=people,${base}`,
      attributes: {
        objectclass: ["inetorgperson"],
        uid: ["a"],
        CN: ["a"],
        sn: ["a"],
        mail: ["2", "1"],
      },
    };
    assert.deepEqual(
      planChanges([people, actual], [people, user("a", { mail: ["1", "2"] })], base),
      [],
    );
  });

  it("replaces changed attributes and removes dropped ones", () => {
    const change = entryChange(
      user("a", { mail: ["a@x"], mailLocalAddress: ["b@x"] }),
      user("a", { mail: ["a@y"] }),
    );
    assert.deepEqual(change, {
      kind: "modify",
      dn: user("a").dn,
      replace: { mail: ["a@y"] },
      remove: ["mailLocalAddress"],
    });
  });

  it("never deletes the subtree's own entry and refuses entries outside it", () => {
    const top = { dn: base, attributes: { ou: ["mailstack"] } };
    assert.deepEqual(planChanges([top], [], base), []);
    assert.throws(
      () => planChanges([], [{ dn: "uid=x,ou=people,dc=example,dc=com", attributes: {} }], base),
      /outside the stack's subtree/,
    );
    assert.throws(() => planChanges([], [people, people], base), /declared twice/);
  });

  it("compares DNs as slapd hands them back", () => {
    assert.equal(dnKey("UID=A , OU=People,DC=x"), "uid=a,ou=people,dc=x");
    assert.equal(dnDepth("cn=a\\,b,ou=x,dc=y"), 3);
    assert.ok(isWithin(`uid=a,${base}`, base));
    assert.ok(!isWithin("uid=a,ou=notmailstack,dc=example,dc=com", base));
  });
});
