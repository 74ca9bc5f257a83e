/**
 * The shared document of a flow (`keel/flow-ydoc@1`, kept by the server in
 * storage/docs/flow-live-docs.ts, whose reading and writing this mirrors: the editor may not
 * import server code): map `meta` (the flow's fields but nodes and edges), map `nodes`
 * (id → node) and map `edges` (id → edge). Values are compared in the form the editor saves, so
 * defaults the server fills in (`onError: "fail"`) do not count as changes.
 */
import * as Y from "yjs";
import type { FlowInput } from "../api/types.ts";
import { docToFlow, flowToDoc, metaForm } from "./convert.ts";

const NO_TYPES = new Map();
const copy = <T,>(v: unknown): T => JSON.parse(JSON.stringify(v)) as T;

/** The flow a document holds. */
export function readFlow(doc: Y.Doc): FlowInput {
  return {
    ...copy<Omit<FlowInput, "nodes" | "edges">>(doc.getMap("meta").toJSON()),
    nodes: copy<FlowInput["nodes"]>(Object.values(doc.getMap("nodes").toJSON())),
    edges: copy<NonNullable<FlowInput["edges"]>>(Object.values(doc.getMap("edges").toJSON())),
  };
}

/** Saved forms of the document's own values: they stay the same objects until changed. */
const forms = new WeakMap<object, string>();

/** A node or edge in the form the editor saves it. */
function saved(kind: "nodes" | "edges", value: unknown): string {
  if (value === undefined || value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  const known = forms.get(value);
  if (known !== undefined) return known;
  const flow = { nodes: kind === "nodes" ? [value] : [], edges: kind === "edges" ? [value] : [] } as unknown as FlowInput;
  const back = docToFlow(flowToDoc(flow, NO_TYPES));
  const form = JSON.stringify(kind === "nodes" ? back.nodes[0] : back.edges?.[0]);
  forms.set(value, form);
  return form;
}

/** Brings the document to this editor's flow, touching only what differs (one transaction). */
export function writeFlow(doc: Y.Doc, flow: FlowInput, origin: unknown): void {
  const { nodes, edges = [], ...meta } = flow;
  doc.transact(() => {
    sync(doc.getMap("meta"), new Map(Object.entries(metaForm(meta)).filter(([, v]) => v !== undefined)), (v) => JSON.stringify(v ?? null));
    sync(doc.getMap("nodes"), new Map(nodes.map((n) => [n.id, n])), (v) => saved("nodes", v));
    sync(doc.getMap("edges"), new Map(edges.map((e) => [e.id, e])), (v) => saved("edges", v));
  }, origin);
}

function sync(map: Y.Map<unknown>, want: Map<string, unknown>, form: (v: unknown) => string): void {
  for (const key of [...map.keys()]) if (!want.has(key)) map.delete(key);
  for (const [key, value] of want) if (form(map.get(key)) !== form(value)) map.set(key, copy(value));
}
