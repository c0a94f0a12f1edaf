/** How the MDA's per-recipient replies fold into port 25's one reply, as a table. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { foldReplies, parseReply } from "./lmtp-outcome.ts";

const r = (address: string, response: string) => ({
  address,
  code: Number(response.slice(0, 3)),
  response,
});

describe("folding LMTP replies", () => {
  const table: [string, ReturnType<typeof r>[], string][] = [
    ["all delivered", [r("a", "250 2.0.0 ok"), r("b", "250 2.0.0 ok")], "delivered"],
    ["one temporary", [r("a", "250 2.0.0 ok"), r("b", "451 4.3.0 later")], "deferred 451 4.3.0"],
    [
      "temporary and permanent",
      [r("a", "552 5.2.2 full"), r("b", "452 4.2.2 full")],
      "deferred 451 4.3.0",
    ],
    [
      "all permanent",
      [r("a", "552 5.2.2 Mailbox full"), r("b", "550 5.1.1 no")],
      "refused 552 5.2.2",
    ],
    ["some permanent", [r("a", "250 2.0.0 ok"), r("b", "552 5.2.2 full")], "partial b"],
  ];
  for (const [name, replies, expected] of table) {
    it(name, () => {
      const outcome = foldReplies(replies);
      const summary =
        outcome.kind === "delivered"
          ? "delivered"
          : outcome.kind === "partial"
            ? `partial ${outcome.refused.map((x) => x.address).join(",")}`
            : `${outcome.kind} ${outcome.reply.code} ${outcome.reply.enhanced}`;
      assert.equal(summary, expected);
    });
  }

  it("parses replies with and without an enhanced code", () => {
    assert.deepEqual(parseReply("552 5.2.2 Mailbox full"), {
      code: 552,
      enhanced: "5.2.2",
      text: "Mailbox full",
    });
    assert.deepEqual(parseReply("550 No such user"), {
      code: 550,
      enhanced: "5.0.0",
      text: "No such user",
    });
    assert.equal(parseReply("garbage").code, 554);
  });
});
