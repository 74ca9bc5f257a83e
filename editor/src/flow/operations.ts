/** Edits of the document, as pure functions `(doc) => doc` for the reducer's "edit" action. */
import type { Connection } from "@xyflow/react";
import type { NodeTypeInfo } from "../api/types.ts";
import { uniqueId } from "../lib/ids.ts";
import { componentFor, toCanvasEdge, type Doc, type KeelNode, type KeelNodeData } from "./convert.ts";
import { updateNodeData } from "./editorState.ts";

/** A node id for a new node of a type: "trigger", "http", "branch_2"… */
export function newNodeId(doc: Doc, info: NodeTypeInfo): string {
  const base = info.category === "trigger" ? "trigger" : (info.type.split(".").pop() ?? "node").replace(/[^A-Za-z0-9_-]/g, "_");
  const safe = /^[A-Za-z_]/.test(base) ? base : `n_${base}`;
  const taken = new Set(doc.nodes.map((n) => n.id));
  return uniqueId(safe.slice(0, 56), (id) => taken.has(id));
}

/** Adds a node of a type at a position (it becomes the only selected node). */
export function addNode(info: NodeTypeInfo, position: { x: number; y: number }) {
  return (doc: Doc): Doc => {
    const id = newNodeId(doc, info);
    const node: KeelNode = {
      id,
      type: componentFor(info),
      position,
      selected: true,
      data: { type: info.type, params: {} },
    };
    return {
      ...doc,
      nodes: [...doc.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node],
      edges: doc.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
    };
  };
}

/** True when a connection may be drawn: not to itself, not twice, and not into a trigger. */
export function canConnect(doc: Pick<Doc, "edges">, c: { source: string; target: string; sourceHandle?: string | null }): boolean {
  if (!c.source || !c.target || c.source === c.target) return false;
  return !doc.edges.some((e) => e.source === c.source && e.target === c.target && (e.sourceHandle ?? null) === (c.sourceHandle ?? null));
}

/** Connects two nodes (the source handle is the port, `when`). */
export function connect(c: Connection) {
  return (doc: Doc): Doc => {
    if (!canConnect(doc, c)) return doc;
    const taken = new Set(doc.edges.map((e) => e.id));
    const base = `e_${c.source}_${c.target}${c.sourceHandle ? `_${c.sourceHandle}` : ""}`.slice(0, 120);
    const id = uniqueId(base, (x) => taken.has(x));
    return { ...doc, edges: [...doc.edges, toCanvasEdge({ id, from: c.source, to: c.target, ...(c.sourceHandle ? { when: c.sourceHandle } : {}) })] };
  };
}

/** Sets (or, with undefined, removes) a value at a path inside a node's data, e.g. ["params", "url"]. */
export function setNodeField(nodeId: string, path: readonly string[], value: unknown) {
  return (doc: Doc): Doc =>
    updateNodeData(doc, nodeId, (data) => {
      const next = setIn(data, path, value) as KeelNodeData;
      return next.params ? next : { ...next, params: {} };
    });
}

/** Immutable set at a path; undefined deletes the key, and empty objects left behind go too. */
export function setIn(target: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const obj = target && typeof target === "object" && !Array.isArray(target) ? (target as Record<string, unknown>) : {};
  const [key, ...rest] = path;
  const inner = setIn(obj[key], rest, value);
  if (Object.is(inner, obj[key]) && (inner !== undefined || !(key in obj))) return target;
  const next = { ...obj };
  const emptyObject = inner && typeof inner === "object" && !Array.isArray(inner) && Object.keys(inner).length === 0 && rest.length > 0;
  if (inner === undefined || emptyObject) delete next[key];
  else next[key] = inner;
  return next;
}

/** Reads the value at a path. */
export function getIn(target: unknown, path: readonly string[]): unknown {
  let at = target;
  for (const key of path) {
    if (!at || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** Renames the flow. */
export function rename(name: string) {
  return (doc: Doc): Doc => (doc.meta.name === name ? doc : { ...doc, meta: { ...doc.meta, name } });
}

/** Changes a flow-level field (description, input schema, onFailure…). */
export function setMeta(key: string, value: unknown) {
  return (doc: Doc): Doc => ({ ...doc, meta: setIn(doc.meta, [key], value) as Doc["meta"] });
}
