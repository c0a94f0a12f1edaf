/** The recipient state machine, as tables: (state, outcome, time) -> next state. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StoredEnvelope, StoredRecipient } from "./records.ts";
import {
  applyOutcome,
  backoffMs,
  initialState,
  isDone,
  nextDueAt,
  wants,
  type Outcome,
  type RetryPolicy,
} from "./recipient-state.ts";

const policy: RetryPolicy = {
  retry: { firstSeconds: 300, factor: 2, maxSeconds: 4 * 3600 },
  expirySeconds: 5 * 86_400,
  delayWarningSeconds: 4 * 3600,
};
const T0 = Date.UTC(2030, 0, 1);
const H = 3_600_000;
const envelope = (
  from = "a@x.test",
  rcpt: StoredRecipient = { address: "b@y.test" },
): StoredEnvelope => ({
  v: 1,
  id: "00000000000123456789",
  from,
  recipients: [rcpt],
  origin: { kind: "submission" },
  arrivedAt: T0,
  size: 1,
});
const temp: Outcome = { kind: "temporary", result: { status: "4.2.1", text: "451 busy" } };
const perm: Outcome = { kind: "permanent", result: { status: "5.1.1", text: "550 no" } };
const ok = (action: "delivered" | "relayed" | "handed-off"): Outcome => ({
  kind: "delivered",
  action,
  result: { status: "2.0.0", text: "250 ok" },
});

function run(env: StoredEnvelope, steps: [number, Outcome][]) {
  let state = initialState(env).recipients[0]!;
  for (const [at, outcome] of steps) {
    state = applyOutcome(env.recipients[0]!, state, outcome, {
      now: T0 + at,
      envelope: env,
      policy,
    });
  }
  return state;
}

describe("backoffMs: first 5 min, doubling, capped at 4 h", () => {
  const table: [number, number][] = [
    [1, 300],
    [2, 600],
    [3, 1200],
    [6, 9600],
    [7, 14_400],
    [20, 14_400],
  ];
  for (const [attempts, seconds] of table) {
    it(`after ${attempts} failed attempt(s): ${seconds} s`, () =>
      assert.equal(backoffMs(attempts, policy), seconds * 1000));
  }
});

describe("applyOutcome", () => {
  it("temporary -> pending, next attempt after the backoff", () => {
    const s = run(envelope(), [[0, temp]]);
    assert.deepEqual([s.status, s.attempts, s.nextAttemptAt - T0], ["pending", 1, 300_000]);
    assert.equal(s.delayNotice, "none");
  });
  it("temporary after 4 h -> delay warning due, once", () => {
    const s = run(envelope(), [
      [0, temp],
      [4 * H, temp],
    ]);
    assert.equal(s.delayNotice, "due");
    assert.equal(
      run(envelope(), [
        [4 * H, temp],
        [5 * H, temp],
      ]).delayNotice,
      "due",
    );
  });
  it("the last attempt is scheduled at the expiry time, and expires there", () => {
    const almost = 5 * 24 * H - 60_000;
    const s = run(envelope(), [[almost, temp]]);
    assert.equal(s.nextAttemptAt, T0 + 5 * 24 * H);
    const e = run(envelope(), [
      [almost, temp],
      [5 * 24 * H, temp],
    ]);
    assert.deepEqual([e.status, e.finalNotice], ["expired", "due"]);
  });
  it("permanent -> failed, bounce due", () => {
    assert.deepEqual(((s) => [s.status, s.finalNotice])(run(envelope(), [[0, perm]])), [
      "failed",
      "due",
    ]);
  });
  it("NOTIFY=NEVER -> no bounce, no delay warning", () => {
    const env = envelope("a@x.test", { address: "b@y.test", notify: "never" });
    assert.equal(run(env, [[0, perm]]).finalNotice, "none");
    assert.equal(run(env, [[5 * H, temp]]).delayNotice, "none");
  });
  it("NOTIFY=SUCCESS -> a success report for delivered and relayed, none when handed off", () => {
    const env = envelope("a@x.test", { address: "b@y.test", notify: ["success"] });
    assert.equal(run(env, [[0, ok("delivered")]]).finalNotice, "due");
    assert.equal(run(env, [[0, ok("relayed")]]).action, "relayed");
    assert.equal(run(env, [[0, ok("handed-off")]]).finalNotice, "none");
    assert.equal(run(env, [[0, perm]]).finalNotice, "none", "SUCCESS alone: no failure report");
  });
  it("default NOTIFY: failure and delay, not success", () => {
    const r = { address: "b@y.test" };
    assert.deepEqual(
      [wants(r, "failure"), wants(r, "delay"), wants(r, "success")],
      [true, true, false],
    );
    assert.equal(run(envelope(), [[0, ok("delivered")]]).finalNotice, "none");
  });
  it("null sender: nothing is ever due (no bounce of a bounce)", () => {
    const env = envelope("");
    assert.equal(run(env, [[0, perm]]).finalNotice, "none");
    assert.equal(run(env, [[5 * H, temp]]).delayNotice, "none");
    assert.equal(run(env, [[6 * 24 * H, temp]]).status, "expired");
  });
});

describe("nextDueAt / isDone", () => {
  it("pending -> its next attempt; final with a notice due -> now; final -> done", () => {
    const env = envelope();
    const state = initialState(env);
    assert.equal(nextDueAt(state, T0 + 5), T0);
    const failed = { ...state, recipients: [run(env, [[0, perm]])] };
    assert.equal(nextDueAt(failed, T0 + 5), T0 + 5);
    assert.equal(isDone(failed), false);
    const sent = {
      ...failed,
      recipients: [{ ...failed.recipients[0]!, finalNotice: "sent" as const }],
    };
    assert.equal(isDone(sent), true);
  });
});
