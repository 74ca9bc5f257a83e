/** The flow document ⇄ the canvas's nodes and edges. */
import type { Edge, Node } from "@xyflow/react";
import type { FlowInput, NodeTypeInfo } from "../api/types.ts";

/** What a canvas node carries: everything of the flow node but its id and position. */
export interface KeelNodeData extends Record<string, unknown> {
  /** The Keel node type, e.g. "transform". */
  type: string;
  name?: string;
  params: Record<string, unknown>;
  retry?: { attempts?: number; backoffMs?: number; maxDelayMs?: number };
  timeoutMs?: number;
  onError?: "fail" | "continue";
}

/** A node on the canvas; its `type` is the component key (the node kind). */
export type KeelNode = Node<KeelNodeData>;
/** An edge on the canvas; `sourceHandle` is the port (`when`) it leaves by. */
export type KeelEdge = Edge;
/** Everything of a flow document except its nodes and edges. */
export type FlowMeta = Omit<FlowInput, "nodes" | "edges">;

/** The document being edited. */
export interface Doc {
  meta: FlowMeta;
  nodes: KeelNode[];
  edges: KeelEdge[];
}

/** The component key for a node type: one component per kind, triggers apart, unknown types too. */
export function componentFor(info: NodeTypeInfo | undefined): string {
  if (!info) return "unknown";
  return info.category === "trigger" ? "trigger" : info.kind;
}

/** Builds the canvas document from a flow. */
export function flowToDoc(flow: FlowInput, types: ReadonlyMap<string, NodeTypeInfo>): Doc {
  const { nodes, edges, ...meta } = flow;
  return {
    meta,
    nodes: nodes.map((n) => ({
      id: n.id,
      type: componentFor(types.get(n.type)),
      position: { x: n.position?.x ?? 0, y: n.position?.y ?? 0 },
      data: {
        type: n.type,
        ...(n.name !== undefined ? { name: n.name } : {}),
        params: (n.params ?? {}) as Record<string, unknown>,
        ...(n.retry ? { retry: n.retry } : {}),
        ...(n.timeoutMs !== undefined ? { timeoutMs: n.timeoutMs } : {}),
        ...(n.onError ? { onError: n.onError } : {}),
      },
    })),
    edges: (edges ?? []).map((e) => toCanvasEdge(e)),
  };
}

/** A flow edge as a canvas edge. */
export function toCanvasEdge(e: { id: string; from: string; to: string; when?: string }): KeelEdge {
  return {
    id: e.id,
    source: e.from,
    target: e.to,
    sourceHandle: e.when ?? null,
    ...(e.when ? { label: e.when } : {}),
  };
}

/** The flow document for the canvas document (what is saved, validated and copied). */
export function docToFlow(doc: Doc, only?: ReadonlySet<string>): FlowInput {
  const nodes = only ? doc.nodes.filter((n) => only.has(n.id)) : doc.nodes;
  const edges = only ? doc.edges.filter((e) => only.has(e.source) && only.has(e.target)) : doc.edges;
  return {
    ...doc.meta,
    nodes: nodes.map((n) => {
      const d = n.data;
      return {
        id: n.id,
        type: d.type,
        ...(d.name ? { name: d.name } : {}),
        position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
        params: d.params,
        ...(d.retry && Object.keys(d.retry).length ? { retry: d.retry } : {}),
        ...(d.timeoutMs !== undefined ? { timeoutMs: d.timeoutMs } : {}),
        ...(d.onError === "continue" ? { onError: "continue" as const } : {}),
      };
    }),
    edges: edges.map((e) => ({
      id: e.id,
      from: e.source,
      to: e.target,
      ...(e.sourceHandle ? { when: e.sourceHandle } : {}),
    })),
  };
}

/** A string that changes exactly when the saved form of the document changes (the order of nodes and edges means nothing). */
export function signatureOf(doc: Doc): string {
  const flow = docToFlow(doc);
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return JSON.stringify({ ...metaForm(doc.meta), nodes: [...flow.nodes].sort(byId), edges: [...(flow.edges ?? [])].sort(byId) });
}

/** A flow's fields without the values the server fills in by default, so that they do not count as changes. */
export function metaForm(meta: FlowMeta): FlowMeta {
  const { onFailure, ...rest } = meta;
  return onFailure === undefined || onFailure === "fail" ? rest : { ...rest, onFailure };
}
