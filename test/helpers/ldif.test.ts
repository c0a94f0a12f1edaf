import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { userEntry } from "../../servers/shared/directory/ldap-entries.ts";
import { fixtureUsers } from "../fixtures/directory.ts";
import { fixtureEntries, ldifLine, needsBase64, toLdif } from "./ldif.ts";

/** Unfolds LDIF and decodes `::` values, as an LDIF reader would. */
function parse(ldif: string): [string, string][] {
  return ldif
    .replace(/\n /g, "")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      const base64 = /^([^:]+):: (.*)$/.exec(line);
      if (base64) return [base64[1] ?? "", Buffer.from(base64[2] ?? "", "base64").toString()];
      const plain = /^([^:]+):(?: (.*))?$/.exec(line);
      return [plain?.[1] ?? "", plain?.[2] ?? ""];
    });
}

describe("ldif", () => {
  it("writes a value as base64 exactly when it is not a SAFE-STRING (RFC 2849 §3)", () => {
    for (const [value, expected] of [
      ["alice@example.test", false],
      ["Alice Example", false],
      ["{ARGON2}$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", false],
      ["with: a colon inside", false],
      ["", false],
      ["Zoë Ünïcode", true],
      ["日本", true],
      [" leading space", true],
      ["trailing space ", true],
      [":leading colon", true],
      ["<leading angle", true],
      ["line\nbreak", true],
      ["carriage\rreturn", true],
      ["nul\0byte", true],
    ] as const) {
      assert.equal(needsBase64(value), expected, JSON.stringify(value));
    }
  });

  it("round-trips every value through base64 and folding", () => {
    const values = ["Zoë Ünïcode", " x", "a".repeat(200), "é".repeat(120), "plain"];
    for (const value of values) {
      assert.deepEqual(parse(ldifLine("cn", value)), [["cn", value]]);
    }
    for (const line of ldifLine("description", "é".repeat(120)).split("\n")) {
      assert.ok(line.length <= 76, `line of ${line.length}`);
    }
    assert.equal(ldifLine("cn", ""), "cn:");
  });

  it("refuses attribute names that would break the file", () => {
    assert.throws(() => ldifLine("cn: x\ndn", "y"), RangeError);
    assert.throws(() => ldifLine("", "y"), RangeError);
  });

  it("writes entries as blocks separated by one blank line", () => {
    const entry = userEntry("dc=mailstack,dc=test", {
      id: "zoe",
      address: "zoe@example.test",
      displayName: "Zoë Ünïcode",
      aliases: ["z@example.test"],
      catchAllDomains: ["example.test"],
    });
    const ldif = toLdif([entry, entry]);
    assert.equal(ldif.split("\n\n").length, 2);
    const lines = parse(ldif.split("\n\n")[0] ?? "");
    assert.deepEqual(lines, [
      ["dn", "uid=zoe,ou=people,dc=mailstack,dc=test"],
      ["objectClass", "inetOrgPerson"],
      ["objectClass", "inetLocalMailRecipient"],
      ["uid", "zoe"],
      ["cn", "Zoë Ünïcode"],
      ["sn", "Ünïcode"],
      ["mail", "zoe@example.test"],
      ["mailLocalAddress", "z@example.test"],
      ["mailLocalAddress", "@example.test"],
    ]);
  });

  it("builds the fixture directory with hashed passwords and the catch-all", () => {
    const hashes = new Map(
      fixtureUsers.map((u) => [u.address, "$2b$12$" + "a".repeat(53)] as const),
    );
    const service = { dn: "cn=svc,ou=services,dc=m,dc=test", cn: "svc", userPassword: "{X}y" };
    const entries = fixtureEntries("dc=m,dc=test", hashes, service);
    const dns = entries.map((e) => e.dn);
    assert.deepEqual(dns.slice(0, 5), [
      "dc=m,dc=test",
      "ou=people,dc=m,dc=test",
      "ou=groups,dc=m,dc=test",
      "ou=services,dc=m,dc=test",
      service.dn,
    ]);
    const carol = entries.find((e) => e.dn.startsWith("uid=carol,"));
    assert.deepEqual(carol?.attributes["mailLocalAddress"], ["@other.test"]);
    assert.match(carol?.attributes["userPassword"]?.[0] ?? "", /^\{CRYPT\}\$2b\$/);
    const team = entries.find((e) => e.dn === "cn=team,ou=groups,dc=m,dc=test");
    assert.deepEqual(team?.attributes["member"], [
      "uid=alice,ou=people,dc=m,dc=test",
      "uid=bob,ou=people,dc=m,dc=test",
    ]);
    assert.throws(() => fixtureEntries("dc=m,dc=test", new Map(), service), RangeError);
  });
});
