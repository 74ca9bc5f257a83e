/**
 * Copy and paste as flow JSON: a copied selection is a small flow document (nodes plus the edges
 * between them), so it pastes into any flow, in this tab or another.
 */
import type { FlowInput, NodeTypeInfo } from "../api/types.ts";
import { uniqueId } from "../lib/ids.ts";
import { docToFlow, flowToDoc, type Doc, type KeelEdge, type KeelNode } from "./convert.ts";

const FLOW_SCHEMA = "keel/flow@1";
const PASTE_OFFSET = 32;
/** A node card's usual size, for nodes not yet measured. */
const NODE_SIZE = { w: 224, h: 72 };

/** The clipboard text for the selected nodes of a document. */
export function selectionToText(doc: Doc, ids: ReadonlySet<string>): string {
  const flow = docToFlow(doc, ids);
  const copied: FlowInput = {
    schema: FLOW_SCHEMA as FlowInput["schema"],
    id: "clipboard",
    name: `Copied from ${doc.meta.name}`,
    nodes: flow.nodes,
    edges: flow.edges,
  };
  return JSON.stringify(copied, null, 2);
}

/** The nodes and edges in clipboard text, when it holds flow JSON. */
export function parseClipboard(text: string): Pick<FlowInput, "nodes" | "edges"> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== "object") return undefined;
  const { nodes, edges } = value as { nodes?: unknown; edges?: unknown };
  if (!Array.isArray(nodes) || nodes.length === 0) return undefined;
  const ok = nodes.every((n) => n && typeof n === "object" && typeof (n as { id?: unknown }).id === "string" && typeof (n as { type?: unknown }).type === "string");
  if (!ok) return undefined;
  return { nodes: nodes as FlowInput["nodes"], edges: Array.isArray(edges) ? (edges as FlowInput["edges"]) : [] };
}

/**
 * Adds pasted nodes to a document: ids that are taken get new ones (and `{{ nodes.<id> }}`
 * references among the pasted nodes follow), positions move off any node already there, and the
 * pasted nodes become the selection.
 */
export function pasteInto(doc: Doc, pasted: Pick<FlowInput, "nodes" | "edges">, types: ReadonlyMap<string, NodeTypeInfo>): Doc {
  const taken = new Set(doc.nodes.map((n) => n.id));
  const renamed = new Map<string, string>();
  for (const n of pasted.nodes) {
    const id = uniqueId(n.id, (x) => taken.has(x));
    taken.add(id);
    renamed.set(n.id, id);
  }
  // move the pasted nodes down and right until none covers a node already there
  const boxes = doc.nodes.map((n) => ({ x: n.position.x, y: n.position.y, w: n.measured?.width ?? NODE_SIZE.w, h: n.measured?.height ?? NODE_SIZE.h }));
  const covers = (x: number, y: number) => boxes.some((b) => x < b.x + b.w && x + NODE_SIZE.w > b.x && y < b.y + b.h && y + NODE_SIZE.h > b.y);
  let shift = 0;
  const collides = (s: number) => pasted.nodes.some((n) => covers((n.position?.x ?? 0) + s, (n.position?.y ?? 0) + s));
  while (collides(shift) && shift < PASTE_OFFSET * 100) shift += PASTE_OFFSET;

  const edgeIds = new Set(doc.edges.map((e) => e.id));
  const flow: FlowInput = {
    ...doc.meta,
    nodes: pasted.nodes.map((n) => ({
      ...n,
      id: renamed.get(n.id)!,
      position: { x: (n.position?.x ?? 0) + shift, y: (n.position?.y ?? 0) + shift },
      params: renameReferences(n.params ?? {}, renamed) as Record<string, unknown>,
    })),
    edges: (pasted.edges ?? [])
      .filter((e) => renamed.has(e.from) && renamed.has(e.to))
      .map((e) => {
        const id = uniqueId(e.id, (x) => edgeIds.has(x));
        edgeIds.add(id);
        return { ...e, id, from: renamed.get(e.from)!, to: renamed.get(e.to)! };
      }),
  };
  const added = flowToDoc(flow, types);
  const select = <T extends KeelNode | KeelEdge>(items: T[], selected: boolean) => items.map((i) => (i.selected === selected ? i : { ...i, selected }));
  return {
    ...doc,
    nodes: [...select(doc.nodes, false), ...select(added.nodes, true)],
    edges: [...select(doc.edges, false), ...added.edges],
  };
}

/** Rewrites `nodes.<old>` to `nodes.<new>` inside the `{{ }}` expressions of a value. */
export function renameReferences(value: unknown, renamed: ReadonlyMap<string, string>): unknown {
  const changes = [...renamed].filter(([from, to]) => from !== to);
  if (changes.length === 0) return value;
  const inText = (text: string) =>
    text.replace(/\{\{[\s\S]*?\}\}/g, (expr) => {
      let out = expr;
      for (const [from, to] of changes) out = out.replace(new RegExp(`(\\bnodes\\.)${escapeRegExp(from)}(?![A-Za-z0-9_-])`, "g"), `$1${to}`);
      return out;
    });
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return inText(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
