/**
 * The editor's document with its undo history. Every change that alters the saved flow is one
 * undo step; a run of keystrokes in one field (same `coalesce` key) is one step; selecting and
 * measuring nodes are not steps at all.
 */
import { applyEdgeChanges, applyNodeChanges, type EdgeChange, type NodeChange } from "@xyflow/react";
import { docToFlow, metaForm, type Doc, type KeelEdge, type KeelNode } from "./convert.ts";

const HISTORY_LIMIT = 200;

/** The document, its history, and what was last saved. */
export interface EditorState {
  doc: Doc;
  past: Doc[];
  future: Doc[];
  /** The key of the edit that made the last step, so the next edit with that key joins it. */
  coalesce?: string;
  /** A node drag is under way (its first move made the undo step). */
  dragging: boolean;
  /** Signature of the document as last saved or loaded from the server ("" = never saved). */
  savedSignature: string;
  /** Bumped by every change to what would be saved (not by selecting or measuring nodes). */
  version: number;
}

/** What can happen to the document. */
export type EditorAction =
  | { type: "load"; doc: Doc; savedSignature: string }
  | { type: "checkpoint" }
  | { type: "nodesChange"; changes: NodeChange<KeelNode>[] }
  | { type: "edgesChange"; changes: EdgeChange<KeelEdge>[] }
  | { type: "edit"; recipe: (doc: Doc) => Doc; coalesce?: string }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "saved"; signature: string }
  /** Another editor's change to the shared document: this one's own history is kept, rebased on it. */
  | { type: "remote"; doc: Doc };

/** The state for a freshly loaded document. */
export function initialState(doc: Doc, savedSignature: string): EditorState {
  return { doc, past: [], future: [], dragging: false, savedSignature, version: 0 };
}

function pushPast(state: EditorState): Doc[] {
  const past = state.past.length >= HISTORY_LIMIT ? state.past.slice(1) : state.past.slice();
  past.push(state.doc);
  return past;
}

/** The reducer behind useReducer in the editor page. */
export function editorReducer(state: EditorState, action: EditorAction): EditorState {
  switch (action.type) {
    case "load":
      return initialState(action.doc, action.savedSignature);
    case "checkpoint":
      return { ...state, past: pushPast(state), future: [], coalesce: undefined };
    case "nodesChange": {
      let { past, future, dragging, coalesce, version } = state;
      for (const c of action.changes) {
        if (c.type !== "select" && c.type !== "dimensions") version = state.version + 1;
        if (c.type === "position" && c.dragging && !dragging) {
          past = pushPast(state);
          future = [];
          coalesce = undefined;
          dragging = true;
        } else if (c.type === "position" && c.dragging === false) {
          dragging = false;
        } else if (c.type === "add" || c.type === "replace") {
          coalesce = undefined;
        }
      }
      const nodes = applyNodeChanges(action.changes, state.doc.nodes);
      return { ...state, past, future, dragging, coalesce, version, doc: { ...state.doc, nodes } };
    }
    case "edgesChange": {
      const edges = applyEdgeChanges(action.changes, state.doc.edges);
      const version = action.changes.some((c) => c.type !== "select") ? state.version + 1 : state.version;
      return { ...state, version, doc: { ...state.doc, edges } };
    }
    case "edit": {
      const doc = action.recipe(state.doc);
      if (doc === state.doc) return state;
      const joins = action.coalesce !== undefined && action.coalesce === state.coalesce;
      return {
        ...state,
        doc,
        version: state.version + 1,
        past: joins ? state.past : pushPast(state),
        future: joins ? state.future : [],
        coalesce: action.coalesce,
      };
    }
    case "undo": {
      if (state.past.length === 0) return state;
      const past = state.past.slice(0, -1);
      return { ...state, doc: state.past[state.past.length - 1], past, future: [state.doc, ...state.future], coalesce: undefined, dragging: false, version: state.version + 1 };
    }
    case "redo": {
      if (state.future.length === 0) return state;
      const [next, ...future] = state.future;
      return { ...state, doc: next, past: pushPast(state), future, coalesce: undefined, dragging: false, version: state.version + 1 };
    }
    case "saved":
      return { ...state, savedSignature: action.signature };
    case "remote": {
      const patch = remotePatch(state.doc, action.doc);
      if (!patch) return state;
      const rebase = (d: Doc) => applyPatch(d, patch);
      return { ...state, doc: rebase(state.doc), past: state.past.map(rebase), future: state.future.map(rebase), version: state.version + 1 };
    }
  }
}

/** What another editor changed, by id: added, changed and removed nodes and edges, and the flow's fields. */
interface RemotePatch {
  meta?: Doc["meta"];
  nodes: Changes<KeelNode>;
  edges: Changes<KeelEdge>;
}
interface Changes<T> {
  added: T[];
  changed: Map<string, T>;
  removed: Set<string>;
}

const savedNode = (n: KeelNode) => JSON.stringify(docToFlow({ meta: {} as Doc["meta"], nodes: [n], edges: [] }).nodes[0]);
const savedEdge = (e: KeelEdge) => JSON.stringify(docToFlow({ meta: {} as Doc["meta"], nodes: [], edges: [e] }).edges?.[0]);

function changes<T extends { id: string }>(local: T[], remote: T[], form: (x: T) => string): Changes<T> {
  const mine = new Map(local.map((x) => [x.id, x]));
  const theirs = new Set(remote.map((x) => x.id));
  const out: Changes<T> = { added: [], changed: new Map(), removed: new Set() };
  for (const x of remote) {
    const m = mine.get(x.id);
    if (!m) out.added.push(x);
    else if (form(m) !== form(x)) out.changed.set(x.id, x);
  }
  for (const id of mine.keys()) if (!theirs.has(id)) out.removed.add(id);
  return out;
}

function remotePatch(local: Doc, remote: Doc): RemotePatch | undefined {
  const nodes = changes(local.nodes, remote.nodes, savedNode);
  const edges = changes(local.edges, remote.edges, savedEdge);
  const meta = JSON.stringify(metaForm(local.meta)) === JSON.stringify(metaForm(remote.meta)) ? undefined : remote.meta;
  const none = (c: Changes<unknown>) => c.added.length === 0 && c.changed.size === 0 && c.removed.size === 0;
  return meta || !none(nodes) || !none(edges) ? { meta, nodes, edges } : undefined;
}

/** Applies another editor's change to a document of this one (the current one or one in its history). */
function applyPatch(d: Doc, p: RemotePatch): Doc {
  const merge = <T extends { id: string }>(list: T[], c: Changes<T>, take: (mine: T, theirs: T) => T): T[] => {
    const have = new Set(list.map((x) => x.id));
    const kept = list.filter((x) => !c.removed.has(x.id)).map((x) => (c.changed.has(x.id) ? take(x, c.changed.get(x.id)!) : x));
    return [...kept, ...c.added.filter((x) => !have.has(x.id))];
  };
  return {
    meta: p.meta ?? d.meta,
    // what is the editor's own (selection, measured size) stays; the content is theirs
    nodes: merge(d.nodes, p.nodes, (mine, theirs) => ({ ...mine, type: theirs.type, position: theirs.position, data: theirs.data })),
    edges: merge(d.edges, p.edges, (mine, theirs) => ({ ...theirs, selected: mine.selected })),
  };
}

/** Replaces one node's data (a new object, so only that node re-renders). */
export function updateNodeData(doc: Doc, id: string, update: (data: KeelNode["data"]) => KeelNode["data"]): Doc {
  let changed = false;
  const nodes = doc.nodes.map((n) => {
    if (n.id !== id) return n;
    const data = update(n.data);
    if (data === n.data) return n;
    changed = true;
    return { ...n, data };
  });
  return changed ? { ...doc, nodes } : doc;
}
