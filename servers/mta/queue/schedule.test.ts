/** The due-time heap, against a plain sorted list under random operations. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Schedule } from "./schedule.ts";

describe("Schedule", () => {
  it("hands out due ids in time order, each once, after moves and deletes", () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("set" as const),
        id: fc.integer({ min: 0, max: 9 }),
        at: fc.integer({ min: 0, max: 50 }),
      }),
      fc.record({ kind: fc.constant("delete" as const), id: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant("take" as const), now: fc.integer({ min: 0, max: 60 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const schedule = new Schedule();
        const model = new Map<string, number>();
        for (const o of ops) {
          if (o.kind === "set") {
            schedule.set(String(o.id), o.at);
            model.set(String(o.id), o.at);
          } else if (o.kind === "delete") {
            schedule.delete(String(o.id));
            model.delete(String(o.id));
          } else {
            const id = schedule.takeDue(o.now);
            const due = [...model].filter(([, at]) => at <= o.now);
            if (due.length === 0) {
              assert.equal(id, undefined);
            } else {
              const earliest = Math.min(...due.map(([, at]) => at));
              assert.ok(id !== undefined && model.get(id) === earliest);
              model.delete(id);
            }
          }
          const earliest = model.size === 0 ? undefined : Math.min(...model.values());
          assert.equal(schedule.peek(), earliest);
          assert.equal(schedule.size, model.size);
        }
      }),
    );
  });
});
