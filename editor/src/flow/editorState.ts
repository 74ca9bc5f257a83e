/**
 * The editor's document with its undo history. Every change that alters the saved flow is one
 * undo step; a run of keystrokes in one field (same `coalesce` key) is one step; selecting and
 * measuring nodes are not steps at all.
 */
import { applyEdgeChanges, applyNodeChanges, type EdgeChange, type NodeChange } from "@xyflow/react";
import type { Doc, KeelEdge, KeelNode } from "./convert.ts";

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
  | { type: "saved"; signature: string };

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
  }
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
