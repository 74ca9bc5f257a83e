import { describe, expect, test } from "vitest";
import type { RunEvent } from "../api/types.ts";
import { checkInput, sampleInput } from "./inputCheck.ts";
import { applyEvent, nodeInput, startedRun } from "./runState.ts";

const ev = (seq: number, body: Record<string, unknown>) => ({ seq, ts: seq, ...body }) as unknown as RunEvent;

describe("a run followed live", () => {
  test("nodes go queued → running → succeeded, events seen twice change nothing, unreached nodes end skipped", () => {
    let v = startedRun("r", "f", ["a", "b", "c"]);
    expect(v.nodes.a.status).toBe("queued");
    const events = [
      ev(1, { type: "node.started", node: "a", attempt: 1, input: { x: 1 } }),
      ev(2, { type: "node.succeeded", node: "a", attempt: 1, output: { y: 2 }, port: "true", ms: 3 }),
      ev(3, { type: "node.started", node: "b", attempt: 1 }),
    ];
    for (const e of events) v = applyEvent(v, e);
    expect(v.nodes.b.status).toBe("running");
    const again = applyEvent(v, events[1]);
    expect(again).toBe(v);
    v = applyEvent(v, ev(4, { type: "node.failed", node: "b", attempt: 1, error: { code: "NODE_FAILED", message: "no", retryable: false }, ms: 1 }));
    v = applyEvent(v, ev(5, { type: "run.failed", error: { code: "NODE_FAILED", message: "no", retryable: false }, node: "b" }));
    expect(v.status).toBe("failed");
    expect(Object.fromEntries(Object.entries(v.nodes).map(([id, n]) => [id, n.status]))).toEqual({ a: "succeeded", b: "failed", c: "skipped" });
    expect(v.nodes.a).toMatchObject({ input: { x: 1 }, output: { y: 2 }, port: "true" });
  });

  test("a node waiting for an approval carries the approval's id", () => {
    const v = applyEvent(startedRun("r", "f", ["ask"]), ev(1, { type: "node.waiting", node: "ask", attempt: 1, wait: { kind: "approval", data: { approvalId: "a-1" } } }));
    expect(v.nodes.ask).toMatchObject({ status: "waiting", approvalId: "a-1" });
  });
});

describe("the run input", () => {
  const schema = { type: "object", required: ["name"], properties: { name: { type: "string", minLength: 1 }, n: { type: "integer", maximum: 5 } } };
  test("is checked against the flow's input schema while typing", () => {
    expect(checkInput('{"name": "Ada", "n": 3}', schema).problems).toEqual([]);
    expect(checkInput('{"n": 9.5}', schema).problems).toEqual(["input.name: is required", "input.n: should be integer, got number"]);
    expect(checkInput("{", schema).problems[0]).toMatch(/^not valid JSON/);
    expect(checkInput("", undefined)).toEqual({ value: {}, problems: [] });
  });
  test("starts from a sample shaped like the schema", () => {
    expect(sampleInput(schema)).toEqual({ name: "", n: 0 });
  });
});

describe("what a node received", () => {
  test("the outputs of upstream nodes whose edges carried on, or the run's input at the start", () => {
    let v = startedRun("r", "f", ["t", "b", "x", "y"]);
    v = applyEvent(v, ev(1, { type: "run.created", flow: { nodes: [] }, input: { name: "Ada" }, startedAt: "now" }));
    v = applyEvent(v, ev(2, { type: "node.succeeded", node: "t", attempt: 1, output: { name: "Ada" }, ms: 1 }));
    v = applyEvent(v, ev(3, { type: "node.succeeded", node: "b", attempt: 1, output: { result: true }, port: "true", ms: 1 }));
    v = applyEvent(v, ev(4, { type: "node.started", node: "x", attempt: 1 }));
    expect(nodeInput(v, "t", [])).toEqual({ name: "Ada" });
    expect(nodeInput(v, "x", [{ from: "t" }, { from: "b", when: "true" }])).toEqual({ t: { name: "Ada" }, b: { result: true } });
    expect(nodeInput(v, "x", [{ from: "b", when: "false" }])).toEqual({});
    expect(nodeInput(v, "y", [{ from: "b" }])).toBeUndefined();
  });
});
