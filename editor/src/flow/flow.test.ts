import { describe, expect, test } from "vitest";
import type { FlowInput, NodeTypeInfo } from "../api/types.ts";
import { parseClipboard, pasteInto, renameReferences, selectionToText } from "./clipboard.ts";
import { docToFlow, flowToDoc, signatureOf } from "./convert.ts";
import { editorReducer, initialState } from "./editorState.ts";
import { issuesAt, mapIssues } from "./issues.ts";
import { addNode, connect, setNodeField } from "./operations.ts";

const info = (type: string, extra: Partial<NodeTypeInfo> = {}): NodeTypeInfo => ({
  type,
  version: 1,
  title: type,
  category: "data",
  description: "",
  kind: "pure",
  params: { type: "object", properties: {} },
  ports: null,
  literalParams: [],
  ...extra,
});
const types = new Map([
  ["trigger.manual", info("trigger.manual", { category: "trigger" })],
  ["transform", info("transform")],
  ["logic.branch", info("logic.branch", { ports: ["true", "false"] })],
]);

const flow: FlowInput = {
  schema: "keel/flow@1",
  id: "f",
  name: "F",
  input: { type: "object" },
  nodes: [
    { id: "start", type: "trigger.manual", position: { x: 0, y: 0 }, params: {} },
    { id: "check", type: "logic.branch", position: { x: 300, y: 0 }, params: { condition: "{{ input.ok }}" }, retry: { attempts: 3 } },
    { id: "then", type: "transform", position: { x: 600, y: 0 }, params: { set: { a: "{{ nodes.check.output.result }}" } }, onError: "continue" },
  ],
  edges: [
    { id: "e1", from: "start", to: "check" },
    { id: "e2", from: "check", to: "then", when: "true" },
  ],
};

describe("flow ⇄ canvas", () => {
  test("a flow survives the round trip, ports included", () => {
    const doc = flowToDoc(flow, types);
    expect(doc.nodes.map((n) => n.type)).toEqual(["trigger", "pure", "pure"]);
    expect(doc.edges[1].sourceHandle).toBe("true");
    expect(docToFlow(doc)).toEqual(flow);
  });
});

describe("the document's history", () => {
  const start = () => initialState(flowToDoc(flow, types), signatureOf(flowToDoc(flow, types)));

  test("keystrokes in one field are one undo step; undo returns to the saved state", () => {
    let s = start();
    for (const v of ["h", "he", "hel"]) s = editorReducer(s, { type: "edit", recipe: setNodeField("then", ["name"], v), coalesce: "then:name" });
    expect(s.past).toHaveLength(1);
    expect(signatureOf(s.doc)).not.toBe(s.savedSignature);
    s = editorReducer(s, { type: "undo" });
    expect(signatureOf(s.doc)).toBe(s.savedSignature);
    s = editorReducer(s, { type: "redo" });
    expect(s.doc.nodes[2].data.name).toBe("hel");
  });

  test("a drag is one step however many moves; selecting is none", () => {
    let s = start();
    s = editorReducer(s, { type: "nodesChange", changes: [{ type: "select", id: "start", selected: true }] });
    expect(s.past).toHaveLength(0);
    for (const x of [10, 20, 30]) s = editorReducer(s, { type: "nodesChange", changes: [{ type: "position", id: "start", position: { x, y: 0 }, dragging: true }] });
    s = editorReducer(s, { type: "nodesChange", changes: [{ type: "position", id: "start", dragging: false }] });
    expect(s.past).toHaveLength(1);
    s = editorReducer(s, { type: "undo" });
    expect(s.doc.nodes[0].position.x).toBe(0);
  });

  test("new nodes get readable ids and connections leave by the chosen port", () => {
    let s = start();
    s = editorReducer(s, { type: "edit", recipe: addNode(types.get("transform")!, { x: 0, y: 200 }) });
    s = editorReducer(s, { type: "edit", recipe: connect({ source: "check", target: "transform", sourceHandle: "false", targetHandle: null }) });
    s = editorReducer(s, { type: "edit", recipe: connect({ source: "check", target: "transform", sourceHandle: "false", targetHandle: null }) });
    const out = docToFlow(s.doc);
    expect(out.nodes.map((n) => n.id)).toEqual(["start", "check", "then", "transform"]);
    expect(out.edges!.filter((e) => e.to === "transform")).toEqual([{ id: "e_check_transform_false", from: "check", to: "transform", when: "false" }]);
  });

  test("emptying a policy field removes it rather than saving an empty object", () => {
    let s = start();
    s = editorReducer(s, { type: "edit", recipe: setNodeField("check", ["retry", "attempts"], undefined) });
    expect(docToFlow(s.doc).nodes[1]).not.toHaveProperty("retry");
    expect(s.doc.nodes[1].data.params).toEqual({ condition: "{{ input.ok }}" });
  });
});

describe("copy and paste", () => {
  test("a copied pair pastes with fresh ids, its edge and its references renamed, moved off the originals", () => {
    const doc = flowToDoc(flow, types);
    const text = selectionToText(doc, new Set(["check", "then"]));
    const pasted = parseClipboard(text)!;
    expect(pasted.nodes.map((n) => n.id)).toEqual(["check", "then"]);
    const after = pasteInto(doc, pasted, types);
    const out = docToFlow(after);
    expect(out.nodes.map((n) => n.id)).toEqual(["start", "check", "then", "check_2", "then_2"]);
    expect(out.nodes[4].params).toEqual({ set: { a: "{{ nodes.check_2.output.result }}" } });
    expect(out.edges!.slice(2)).toEqual([{ id: "e2_2", from: "check_2", to: "then_2", when: "true" }]);
    expect(out.nodes[3].position?.y).toBeGreaterThan(0);
    expect(after.nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(["check_2", "then_2"]);
  });

  test("text that is not flow JSON is not pasted", () => {
    expect(parseClipboard("hello")).toBeUndefined();
    expect(parseClipboard('{"nodes": []}')).toBeUndefined();
    expect(parseClipboard('{"nodes": [{"id": 1}]}')).toBeUndefined();
  });

  test("references are renamed only inside expressions and only whole ids", () => {
    const renamed = new Map([["a", "a_2"]]);
    expect(renameReferences({ x: "nodes.a stays {{ nodes.a.output }} {{ nodes.ab.output }}" }, renamed)).toEqual({
      x: "nodes.a stays {{ nodes.a_2.output }} {{ nodes.ab.output }}",
    });
  });
});

describe("validation problems", () => {
  test("land on the node and field they name", () => {
    const map = mapIssues(
      [
        { path: "nodes[1].params.url", message: 'node "http" (action.http) params.url: must be an http:// or https:// URL' },
        { path: "nodes[0].retry.attempts", nodeId: "start", message: 'node "start" retry.attempts: too big' },
        { path: "edges", message: "the flow has a cycle" },
      ],
      ["start", "http"],
    );
    expect(map.count).toBe(3);
    expect(issuesAt(map.byNode.http, "params.url").map((i) => i.short)).toEqual(["must be an http:// or https:// URL"]);
    expect(issuesAt(map.byNode.start, "retry").map((i) => i.field)).toEqual(["retry.attempts"]);
    expect(map.flow.map((i) => i.message)).toEqual(["the flow has a cycle"]);
  });
});

describe("problem wording", () => {
  test("a missing value reads as required beside its field", () => {
    const map = mapIssues([{ path: "nodes[0].params.prompt", nodeId: "g", message: 'node "g" (model.generate) params.prompt: Invalid input: expected string, received undefined' }], ["g"]);
    expect(map.byNode.g[0].short).toBe("is required");
  });
});

describe("another editor's changes (the shared document)", () => {
  test("land in the document, and this editor's undo takes back only its own edits", () => {
    let s = initialState(flowToDoc(flow, types), signatureOf(flowToDoc(flow, types)));
    s = editorReducer(s, { type: "edit", recipe: setNodeField("then", ["name"], "Mine") });
    // meanwhile the other editor renamed the flow and added a node
    const theirs = flowToDoc({ ...docToFlow(s.doc), name: "Theirs", nodes: [...docToFlow(s.doc).nodes, { id: "extra", type: "transform", position: { x: 0, y: 300 }, params: {} }] }, types);
    s = editorReducer(s, { type: "remote", doc: theirs });
    expect(s.doc.meta.name).toBe("Theirs");
    expect(s.doc.nodes.map((n) => n.id)).toEqual(["start", "check", "then", "extra"]);
    s = editorReducer(s, { type: "undo" });
    expect(s.doc.nodes.find((n) => n.id === "then")!.data.name).toBeUndefined(); // mine is undone
    expect(s.doc.meta.name).toBe("Theirs"); // theirs stays
    expect(s.doc.nodes.map((n) => n.id)).toContain("extra");
  });

  test("a document that says what this one says (server defaults aside) changes nothing", () => {
    const s = initialState(flowToDoc(flow, types), signatureOf(flowToDoc(flow, types)));
    const same = flowToDoc({ ...flow, onFailure: "fail", nodes: flow.nodes.map((n) => ({ onError: "fail", ...n })) }, types);
    expect(editorReducer(s, { type: "remote", doc: same })).toBe(s);
  });
});
