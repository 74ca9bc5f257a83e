/** The canvas: pan/zoom, minimap, fit view, snap to grid, drop from the palette, connect handles. */
import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  Panel,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type IsValidConnection,
  type NodeChange,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState, type Dispatch, type DragEvent } from "react";
import type { Doc, KeelEdge, KeelNode } from "../flow/convert.ts";
import type { EditorAction } from "../flow/editorState.ts";
import { addNode, canConnect, connect } from "../flow/operations.ts";
import { useSlice } from "../lib/store.ts";
import type { RunView } from "../run/runState.ts";
import { useCanvasShared } from "./context.ts";
import { KIND_LOOK } from "./look.ts";
import { nodeTypes } from "./nodes.tsx";

/** The drag payload of a palette item. */
export const NODE_TYPE_MIME = "application/x-keel-node-type";
/** Grid spacing for snapping and the dotted background. */
export const GRID = 16;
const SNAP: [number, number] = [GRID, GRID];
/**
 * Above this many nodes only those in view are drawn. Below it, drawing all is cheaper: culling
 * unmounts and remounts nodes on every pan, which costs more than it saves for a few hundred.
 */
const VIRTUALIZE_ABOVE = 1500;
/** About half a node card, so a dropped node lands centred under the pointer. */
const DROP_OFFSET = { x: 96, y: 32 };

const whole = (r: RunView | null) => r;
const minimapColor = (n: KeelNode) => KIND_LOOK[n.type ?? "unknown"]?.color ?? "#94a3b8";
const deleteKeys = ["Delete", "Backspace"];
const multiKeys = ["Shift", "Meta", "Control"];

/** The edges painted with the live run: flowing, done, skipped or failed. */
export function paintEdges(edges: KeelEdge[], run: RunView | null): KeelEdge[] {
  if (!run) return edges;
  return edges.map((e) => {
    const s = run.nodes[e.source];
    const t = run.nodes[e.target];
    let state: string | undefined;
    if (t?.status === "skipped" || (s?.status === "succeeded" && e.sourceHandle && s.port && s.port !== e.sourceHandle)) state = "skipped";
    else if (s?.status === "failed") state = "failed";
    else if (s?.status === "succeeded") state = t && ["queued", "running", "waiting"].includes(t.status) ? "flowing" : "done";
    return state ? { ...e, className: `edge-${state}`, animated: state === "flowing" } : e;
  });
}

/** Props of the canvas. */
export interface CanvasProps {
  doc: Doc;
  dispatch: Dispatch<EditorAction>;
  /** Called once the nodes are drawn and measured (the benchmark's "interactive"). */
  onReady?: () => void;
}

export function Canvas({ doc, dispatch, onReady }: CanvasProps) {
  const shared = useCanvasShared();
  const flow = useReactFlow<KeelNode, KeelEdge>();
  const run = useSlice(shared.run, whole);
  const edges = useMemo(() => paintEdges(doc.edges, run), [doc.edges, run]);
  const docRef = useRef(doc);
  docRef.current = doc;
  // fit a loaded flow in view once; a flow started empty keeps the viewport where the user builds
  const [fitOnLoad] = useState(doc.nodes.length > 0);

  const onNodesChange = useCallback((changes: NodeChange<KeelNode>[]) => dispatch({ type: "nodesChange", changes }), [dispatch]);
  const onEdgesChange = useCallback((changes: EdgeChange<KeelEdge>[]) => dispatch({ type: "edgesChange", changes }), [dispatch]);
  const onConnect = useCallback((c: Connection) => dispatch({ type: "edit", recipe: connect(c) }), [dispatch]);
  const isValidConnection = useCallback<IsValidConnection<KeelEdge>>((c) => canConnect(docRef.current, c), []);
  const onBeforeDelete = useCallback(async () => {
    dispatch({ type: "checkpoint" });
    return true;
  }, [dispatch]);

  const onDragOver = useCallback((e: DragEvent) => {
    if (!e.dataTransfer.types.includes(NODE_TYPE_MIME)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  }, []);
  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(NODE_TYPE_MIME);
      const info = shared.types.get(type);
      if (!info) return;
      e.preventDefault();
      const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const position = { x: snap(at.x - DROP_OFFSET.x), y: snap(at.y - DROP_OFFSET.y) };
      dispatch({ type: "edit", recipe: addNode(info, position) });
    },
    [dispatch, flow, shared.types],
  );

  const initialized = useNodesInitialized();
  const readyFired = useRef(false);
  useEffect(() => {
    if (readyFired.current || !(initialized || doc.nodes.length === 0)) return;
    readyFired.current = true;
    requestAnimationFrame(() => onReady?.());
  }, [initialized, doc.nodes.length, onReady]);

  return (
    <div className="canvas" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow<KeelNode, KeelEdge>
        nodes={doc.nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        onBeforeDelete={onBeforeDelete}
        snapToGrid
        snapGrid={SNAP}
        fitView={fitOnLoad}
        fitViewOptions={{ padding: 0.2, maxZoom: 1.25 }}
        minZoom={0.05}
        maxZoom={2.5}
        deleteKeyCode={deleteKeys}
        multiSelectionKeyCode={multiKeys}
        selectionKeyCode="Shift"
        onlyRenderVisibleElements={doc.nodes.length > VIRTUALIZE_ABOVE}
        elevateEdgesOnSelect
        aria-label="Flow canvas"
      >
        <Background variant={BackgroundVariant.Dots} gap={GRID} size={1.2} color="#cbd5e1" />
        <MiniMap<KeelNode> pannable zoomable nodeColor={minimapColor} nodeStrokeWidth={2} ariaLabel="Minimap" />
        <Controls showInteractive={false} aria-label="Zoom and fit view" />
        {doc.nodes.length === 0 && (
          <Panel position="top-center" className="canvas-empty">
            Drag a node from the palette to start, or press <kbd>?</kbd> for shortcuts.
          </Panel>
        )}
      </ReactFlow>
    </div>
  );
}

function snap(v: number): number {
  return Math.round(v / GRID) * GRID;
}
