import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSequenceSetText } from "../protocol/sequence-set.ts";
import { MessageView } from "./message-view.ts";

describe("MessageView", () => {
  const view = () => new MessageView([3, 4, 7, 10, 11]);

  it("maps sequence numbers and UIDs", () => {
    const v = view();
    assert.equal(v.seqOf(7), 3);
    assert.equal(v.seqOf(8), undefined);
    assert.deepEqual(v.uidsAt(v.resolve(parseSequenceSetText("2:3,*"), false)), [4, 7, 11]);
    assert.deepEqual(v.uidsAt(v.resolve(parseSequenceSetText("5:8"), true)), [7]);
    assert.deepEqual(
      v.uidsAt(v.resolve(parseSequenceSetText("20:*"), true)),
      [11],
      "n:* includes the last",
    );
    assert.deepEqual(v.uidSet(v.resolve(parseSequenceSetText("1:2,4:5"), false)), [
      [3, 4],
      [10, 11],
    ]);
    assert.throws(() => v.resolve(parseSequenceSetText("6"), false), /Invalid message sequence/);
    assert.deepEqual(v.resolve(parseSequenceSetText("4:9"), false, undefined, { clip: true }), [
      [3, 4],
    ]);
    assert.throws(() => new MessageView([]).resolve(parseSequenceSetText("*"), false));
    assert.deepEqual(new MessageView([]).resolve(parseSequenceSetText("1:*"), true), []);
  });

  it("removes expunged messages and reports their numbers, highest first", () => {
    const v = view();
    assert.deepEqual(v.remove(new Set([4, 10])), [4, 2]);
    assert.equal(v.count, 3);
    v.append([12, 11]);
    assert.deepEqual(v.uidsAt([[0, v.count - 1]]), [3, 7, 11, 12]);
  });
});
