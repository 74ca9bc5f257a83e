import { describe, expect, it } from "vitest";
import { createRegistry } from "../../nodes/index.ts";
import { makeFlow } from "../support/keel.ts";
import { checkFlow, FlowValidationError, prepareFlow, type FlowIssue } from "../../runtime/prepare.ts";

const registry = createRegistry();

function issuesOf(doc: unknown): FlowIssue[] {
  const r = checkFlow(doc, registry);
  if (r.ok) throw new Error("expected the flow to be invalid");
  return r.issues;
}

function messages(doc: unknown): string {
  return issuesOf(doc).map((i) => i.message).join("\n");
}

describe("flow validation", () => {
  it("accepts a valid flow and applies the defaults", () => {
    const r = checkFlow(makeFlow([{ id: "a", type: "trigger.manual" }, { id: "b", type: "transform", params: { set: { x: 1 } } }], [["a", "b"]]), registry);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const b = r.prepared.flow.nodes[1];
    expect(b.onError).toBe("fail");
    expect(b.position).toEqual({ x: 0, y: 0 });
    expect(r.prepared.flow.onFailure).toBe("fail");
    expect(r.prepared.graph.order).toEqual(["a", "b"]);
    expect(r.prepared.graph.sinks).toEqual(["b"]);
  });

  it("names the node id and the parameter path of a bad param", () => {
    const issues = issuesOf(makeFlow([{ id: "fetch", type: "action.http", params: { url: "ftp://x", method: "FETCH" } }]));
    const url = issues.find((i) => i.path === "nodes[0].params.url")!;
    expect(url.nodeId).toBe("fetch");
    expect(url.message).toContain('node "fetch" (action.http) params.url');
    expect(url.message).toContain("http:// or https://");
    expect(issues.find((i) => i.path === "nodes[0].params.method")!.message).toContain('node "fetch" (action.http) params.method');
  });

  it("names the path inside nested params", () => {
    const msg = messages(makeFlow([{ id: "call", type: "action.http", params: { url: "http://x.test", headers: { "x-a": 5 } } }]));
    expect(msg).toContain('node "call" (action.http) params.headers.x-a');
  });

  it("names the node of a bad policy field", () => {
    const issues = issuesOf(makeFlow([{ id: "slow", type: "transform", retry: { attempts: 0 }, timeoutMs: -5, onError: "ignore" }]));
    const text = issues.map((i) => i.message).join("\n");
    expect(text).toContain('node "slow" retry.attempts');
    expect(text).toContain('node "slow" timeoutMs');
    expect(text).toContain('node "slow" onError');
    expect(issues.every((i) => i.nodeId === "slow")).toBe(true);
  });

  it("names the nodes on a cycle, in order", () => {
    const msg = messages(
      makeFlow(
        [
          { id: "start", type: "trigger.manual" },
          { id: "a", type: "transform" },
          { id: "b", type: "transform" },
          { id: "c", type: "transform" },
        ],
        [["start", "a"], ["a", "b"], ["b", "c"], ["c", "a"]],
      ),
    );
    const loop = /cycle: (.*)/.exec(msg)![1].split(" → ").map((s) => JSON.parse(s) as string);
    expect(loop[0]).toBe(loop[loop.length - 1]);
    expect(new Set(loop)).toEqual(new Set(["a", "b", "c"]));
    // each step follows an edge of the flow: a → b → c → a, starting anywhere on the loop
    const next: Record<string, string> = { a: "b", b: "c", c: "a" };
    for (let i = 0; i + 1 < loop.length; i++) expect(loop[i + 1]).toBe(next[loop[i]]);
  });

  it("names an unknown node type and the closest known ones", () => {
    const issue = issuesOf(makeFlow([{ id: "t", type: "transfrom" }]))[0];
    expect(issue.path).toBe("nodes[0].type");
    expect(issue.nodeId).toBe("t");
    expect(issue.message).toContain('unknown node type "transfrom"');
    expect(issue.message).toMatch(/did you mean "transform"/);
    const http = messages(makeFlow([{ id: "h", type: "action.htp" }]));
    expect(http).toMatch(/did you mean "action\.http"/);
  });

  it("names both ends of an edge to a missing node", () => {
    const msg = messages(makeFlow([{ id: "a", type: "trigger.manual" }], [["a", "ghost"], ["phantom", "a"]]));
    expect(msg).toContain('edge "e1" (a → ghost): to node "ghost" does not exist');
    expect(msg).toContain('edge "e2" (phantom → a): from node "phantom" does not exist');
  });

  it("reports duplicate node and edge ids", () => {
    const doc = makeFlow([{ id: "a", type: "trigger.manual" }, { id: "a", type: "transform" }, { id: "b", type: "transform" }]);
    doc.edges = [
      { id: "x", from: "a", to: "b" },
      { id: "x", from: "a", to: "b" },
    ];
    const msg = messages(doc);
    expect(msg).toContain('node "a": id is used by more than one node');
    expect(msg).toContain('edge "x" (a → b): id is used by more than one edge');
  });

  it("refuses `when` on an edge whose source has no ports, and an unknown port", () => {
    const doc = makeFlow(
      [
        { id: "a", type: "transform" },
        { id: "b", type: "transform" },
        { id: "if", type: "logic.branch", params: { condition: true } },
        { id: "c", type: "transform" },
      ],
      [["a", "b", "true"], ["a", "if"], ["if", "c", "maybe"]],
    );
    const msg = messages(doc);
    expect(msg).toContain('edge "e1" (a → b): when "true" but transform has no ports');
    expect(msg).toContain('when "maybe" is not a port of logic.branch (ports: true, false)');
  });

  it("refuses a self loop and an empty flow", () => {
    expect(messages(makeFlow([{ id: "a", type: "transform" }], [["a", "a"]]))).toContain("a node cannot connect to itself");
    expect(messages(makeFlow([]))).toContain("a flow needs at least one node");
  });

  it("refuses a wrong or missing schema version and non-objects", () => {
    expect(messages({ ...makeFlow([{ id: "a", type: "transform" }]), schema: "keel/flow@2" })).toContain(
      'unsupported flow version (schema "keel/flow@2"); expected "keel/flow@1"',
    );
    expect(messages({ id: "x" })).toContain("no schema field");
    expect(messages([1, 2])).toContain("a flow must be a JSON object, got an array");
    expect(messages("flow")).toContain("got a string");
    expect(messages(null)).toContain("got null");
  });

  it("refuses unknown fields and bad ids", () => {
    const doc = { ...makeFlow([{ id: "9lives", type: "transform", colour: "red" }]), extra: 1 };
    const msg = messages(doc);
    expect(msg).toContain('node "9lives" id: must start with a letter');
    expect(msg).toMatch(/colour/);
    expect(msg).toMatch(/extra/);
  });

  it("refuses __proto__ as a node id (it would name a prototype, and the node would vanish from the run)", () => {
    const issues = issuesOf(makeFlow([{ id: "__proto__", type: "transform" }, { id: "_ok", type: "transform" }]));
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toContain('node "__proto__" id');
    expect(issues[0].message).toContain("__proto__ is reserved");
  });

  it("refuses compensate params on a node that cannot compensate", () => {
    expect(messages(makeFlow([{ id: "t", type: "transform", params: { set: {}, compensate: {} } }]))).toMatch(/node "t"/);
  });

  it("refuses an input schema that is not JSON Schema", () => {
    expect(messages(makeFlow([{ id: "a", type: "trigger.manual" }], [], { input: { type: "banana" } }))).toContain(
      "input: not a usable JSON Schema",
    );
  });

  it("leaves params computed by expressions to run time", () => {
    const r = checkFlow(makeFlow([{ id: "w", type: "wait.timer", params: { ms: "{{ input.ms }}" } }]), registry);
    expect(r.ok).toBe(true);
  });

  it("throws a FlowValidationError listing every problem", () => {
    const doc = makeFlow([{ id: "a", type: "nope" }, { id: "b", type: "zilch" }]);
    let caught: unknown;
    try {
      prepareFlow(doc, registry);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(FlowValidationError);
    const err = caught as FlowValidationError;
    expect(err.code).toBe("VALIDATION");
    expect(err.retryable).toBe(false);
    expect(err.issues).toHaveLength(2);
    expect(err.message).toContain("flow is invalid (2 problems)");
  });

  it("compiles a flow once and reuses it for the same document", () => {
    const doc = makeFlow([{ id: "a", type: "transform" }]);
    expect(prepareFlow(doc, registry)).toBe(prepareFlow(doc, registry));
  });
});
