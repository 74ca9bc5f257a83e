/** logic.branch skips the path not taken (transitively); logic.merge waits for every live input. */
import { afterEach, describe, expect, it } from "vitest";
import { makeFlow, testKeel } from "../support/keel.ts";

let keel: ReturnType<typeof testKeel> | undefined;
afterEach(async () => {
  await keel?.dispose();
  keel = undefined;
});

/**
 *            ┌ true ─ big ── bigNote ──┐
 * start ─ if ┤                         ├─ join ─ done
 *            └ false ─ small ──────────┘
 * plus `bigOnly`, reachable only from bigNote (so only through the true edge).
 */
function dealFlow() {
  return makeFlow(
    [
      { id: "start", type: "trigger.manual" },
      { id: "if", type: "logic.branch", params: { condition: "{{ input.amount > 1000 }}" } },
      { id: "big", type: "transform", params: { set: { tier: "big" } } },
      { id: "bigNote", type: "transform", params: { set: { note: "{{ 'thanks for ' & $string(input.amount) }}" } } },
      { id: "bigOnly", type: "transform", params: { set: { vip: true } } },
      { id: "small", type: "transform", params: { set: { tier: "small" } } },
      { id: "join", type: "logic.merge" },
      { id: "done", type: "transform", params: { set: { inputs: "{{ $keys(nodes.join.output.inputs) }}" } } },
    ],
    [
      ["start", "if"],
      ["if", "big", "true"],
      ["big", "bigNote"],
      ["bigNote", "bigOnly"],
      ["if", "small", "false"],
      ["bigNote", "join"],
      ["small", "join"],
      ["join", "done"],
    ],
  );
}

describe("branch and merge", () => {
  it("takes the true path and skips the false one", async () => {
    keel = testKeel();
    const result = await keel.coordinator.run(dealFlow(), { amount: 5000 });
    expect(result.status).toBe("succeeded");
    expect(result.nodes.if.output).toEqual({ result: true });
    expect(result.nodes.small.status).toBe("skipped");
    expect(result.nodes.bigOnly.status).toBe("succeeded");
    expect(result.nodes.join.output).toEqual({ inputs: { bigNote: { note: "thanks for 5000" } } });
    expect(result.output).toEqual({ bigOnly: { vip: true }, done: { inputs: "bigNote" } });
  });

  it("skips nodes reachable only through skipped edges, transitively", async () => {
    keel = testKeel();
    const result = await keel.coordinator.run(dealFlow(), { amount: 10 });
    expect(result.status).toBe("succeeded");
    for (const id of ["big", "bigNote", "bigOnly"]) expect(result.nodes[id].status, id).toBe("skipped");
    expect(result.nodes.small.status).toBe("succeeded");
    // the merge still runs: one of its inputs is live
    expect(result.nodes.join.output).toEqual({ inputs: { small: { tier: "small" } } });
    expect(result.output).toEqual({ done: { inputs: "small" } }); // a skipped sink gives no output
    const events = await keel.coordinator.events(result.runId);
    const skipped = events.filter((e) => e.type === "node.skipped").map((e) => (e as { node: string }).node);
    expect(skipped.sort()).toEqual(["big", "bigNote", "bigOnly"]);
    expect(events.some((e) => e.type === "node.started" && ["big", "bigNote", "bigOnly"].includes(e.node))).toBe(false);
  });

  it("merge waits for every input that is not skipped", async () => {
    keel = testKeel();
    const flow = makeFlow(
      [
        { id: "start", type: "trigger.manual" },
        { id: "fast", type: "transform", params: { set: { v: 1 } } },
        { id: "slow", type: "wait.timer", params: { ms: 60 } },
        { id: "join", type: "logic.merge" },
      ],
      [["start", "fast"], ["start", "slow"], ["fast", "join"], ["slow", "join"]],
    );
    const result = await keel.coordinator.run(flow, {}, "not-timer");
    expect(result.status).toBe("succeeded");
    expect(result.output).toEqual({ join: { inputs: { fast: { v: 1 }, slow: { waitedMs: 60 } } } });
    const events = await keel.coordinator.events(result.runId);
    const slowDone = events.findIndex((e) => e.type === "node.succeeded" && e.node === "slow");
    const joinStart = events.findIndex((e) => e.type === "node.started" && e.node === "join");
    expect(slowDone).toBeLessThan(joinStart);
  });

  it("skips a merge whose inputs were all skipped", async () => {
    keel = testKeel();
    const flow = makeFlow(
      [
        { id: "if", type: "logic.branch", params: { condition: false } },
        { id: "a", type: "transform" },
        { id: "b", type: "transform" },
        { id: "join", type: "logic.merge" },
        { id: "other", type: "transform", params: { set: { ok: true } } },
      ],
      [["if", "a", "true"], ["if", "b", "true"], ["a", "join"], ["b", "join"], ["if", "other", "false"]],
    );
    const result = await keel.coordinator.run(flow, {});
    expect(result.status).toBe("succeeded");
    expect(result.nodes.join.status).toBe("skipped");
    expect(result.output).toEqual({ other: { ok: true } });
  });

  it("skips thousands of nodes behind an untaken branch (no recursion limit)", async () => {
    keel = testKeel();
    const n = 4900; // a flow may hold 5000 nodes
    const nodes = [
      { id: "if", type: "logic.branch", params: { condition: false } },
      { id: "other", type: "transform", params: { set: { ok: true } } },
    ];
    const edges: Array<[string, string] | [string, string, string]> = [["if", "c0", "true"], ["if", "other", "false"]];
    for (let i = 0; i < n; i++) {
      nodes.push({ id: `c${i}`, type: "transform", params: { set: { ok: true } } });
      if (i) edges.push([`c${i - 1}`, `c${i}`]);
    }
    const result = await keel.coordinator.run(makeFlow(nodes, edges), {});
    expect(result.status).toBe("succeeded");
    expect(result.nodes.if).toMatchObject({ status: "succeeded", output: { result: false } });
    expect(result.nodes[`c${n - 1}`].status).toBe("skipped");
    expect(result.output).toEqual({ other: { ok: true } });
  });

  it("treats an empty string, zero, null and 'false' as false", async () => {
    keel = testKeel();
    for (const value of ["", 0, null, "false", [], {}]) {
      const flow = makeFlow(
        [
          { id: "if", type: "logic.branch", params: { condition: "{{ input.v }}" } },
          { id: "yes", type: "transform" },
          { id: "no", type: "transform" },
        ],
        [["if", "yes", "true"], ["if", "no", "false"]],
      );
      const result = await keel.coordinator.run(flow, { v: value });
      expect(result.nodes.yes.status, JSON.stringify(value)).toBe("skipped");
      expect(result.nodes.no.status, JSON.stringify(value)).toBe("succeeded");
    }
  });
});
