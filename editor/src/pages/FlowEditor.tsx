/** The flow editor: top bar, palette, canvas, inspector and run panel around one flow document. */
import { useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { api, ApiError, errorMessage } from "../api/client.ts";
import type { FlowInput, FlowIssue, JsonSchema, NodeTypeInfo } from "../api/types.ts";
import { Canvas, GRID } from "../canvas/Canvas.tsx";
import { CanvasContext, type CanvasShared } from "../canvas/context.ts";
import type { Catalog } from "../catalog.ts";
import { parseClipboard, pasteInto, selectionToText } from "../flow/clipboard.ts";
import { docToFlow, flowToDoc, signatureOf, type KeelEdge, type KeelNode } from "../flow/convert.ts";
import { editorReducer, initialState } from "../flow/editorState.ts";
import { mapIssues, NO_ISSUES, type IssueMap } from "../flow/issues.ts";
import { addNode, rename, setMeta, setNodeField } from "../flow/operations.ts";
import { useEditorKeys } from "../flow/useEditorKeys.ts";
import { useFlowSync } from "../flow/useFlowSync.ts";
import { useValidation } from "../flow/useValidation.ts";
import { FlowSettings } from "../inspector/FlowSettings.tsx";
import { NodeInspector } from "../inspector/Inspector.tsx";
import { paths, setLeaveGuard } from "../lib/router.ts";
import { createStore, useSlice } from "../lib/store.ts";
import { Palette } from "../palette/Palette.tsx";
import { followRun } from "../run/follow.ts";
import { checkInput, sampleInput } from "../run/inputCheck.ts";
import { RunPanel } from "../run/RunPanel.tsx";
import { startedRun, type RunView } from "../run/runState.ts";
import { ShortcutHelp } from "../ui/ShortcutHelp.tsx";
import { toast } from "../ui/toasts.tsx";
import { TopBar } from "../ui/TopBar.tsx";

/** Props of the flow editor. */
export interface FlowEditorProps {
  flow: FlowInput;
  isNew: boolean;
  catalog: Catalog;
}

const allIssues = (m: IssueMap) => m;

export function FlowEditor({ flow: initial, isNew: startsNew, catalog }: FlowEditorProps) {
  const rf = useReactFlow<KeelNode, KeelEdge>();
  const [state, dispatch] = useReducer(editorReducer, undefined, () => {
    const doc = flowToDoc(initial, catalog.byName);
    // a new flow counts as unchanged until it is edited: leaving it untouched asks nothing
    return initialState(doc, signatureOf(doc));
  });
  const { doc } = state;
  const flowId = doc.meta.id;
  // the saved form changes only with the version: selecting or measuring nodes does not re-serialise 300 of them
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const signature = useMemo(() => signatureOf(doc), [state.version]);
  const dirty = signature !== state.savedSignature;
  const [isNew, setIsNew] = useState(startsNew);
  const [tab, setTab] = useState<"inspect" | "run">("inspect");
  const [help, setHelp] = useState(false);
  const [busy, setBusy] = useState(false);
  const [inputText, setInputText] = useState(() => sessionStorage.getItem(`keel.input.${initial.id}`) ?? JSON.stringify(sampleInput(initial.input as JsonSchema | undefined), null, 2));
  const shared = useMemo<CanvasShared>(() => ({ types: catalog.byName, run: createStore<RunView | null>(null), issues: createStore<IssueMap>(NO_ISSUES) }), [catalog]);
  const issues = useSlice(shared.issues, allIssues);
  const docRef = useRef(doc);
  docRef.current = doc;
  const stopFollowing = useRef<() => void>(undefined);

  const selected = useMemo(() => doc.nodes.filter((n) => n.selected), [doc.nodes]);
  const single = selected.length === 1 ? selected[0] : undefined;
  const upstreamOfSelected = useMemo(
    () => (single ? doc.edges.filter((e) => e.target === single.id).map((e) => ({ from: e.source, when: e.sourceHandle })) : []),
    [single, doc.edges],
  );

  useValidation(signature, () => docToFlow(docRef.current), shared.issues);
  useFlowSync({ flowId, enabled: !isNew, version: state.version, docRef, types: catalog.byName, dispatch });

  // unsaved changes: ask before leaving the page or the tab
  useEffect(() => {
    if (!dirty) return setLeaveGuard(undefined);
    setLeaveGuard(() => window.confirm("This flow has unsaved changes. Leave without saving?"));
    const onBeforeUnload = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => {
      setLeaveGuard(undefined);
      window.removeEventListener("beforeunload", onBeforeUnload);
    };
  }, [dirty]);
  useEffect(() => () => stopFollowing.current?.(), []);
  useEffect(() => {
    document.title = `${dirty ? "● " : ""}${doc.meta.name || flowId} · Keel`;
  }, [dirty, doc.meta.name, flowId]);

  const save = useCallback(async (): Promise<boolean> => {
    const flow = docToFlow(docRef.current);
    const sent = signatureOf(docRef.current);
    try {
      // check first: a refused save would be an HTTP 400 in the browser's console
      const check = await api<{ ok: boolean; issues?: FlowIssue[] }>("POST", "flows/validate", flow);
      if (!check.ok) {
        const found = check.issues ?? [];
        shared.issues.set(mapIssues(found, flow.nodes.map((n) => n.id)));
        toast(`Not saved: ${found.length} problem${found.length === 1 ? "" : "s"} to fix (shown on the nodes)`, "error");
        return false;
      }
      if (isNew) await api("POST", "flows", flow);
      else await api("PUT", `flows/${encodeURIComponent(flow.id)}`, flow);
      dispatch({ type: "saved", signature: sent });
      if (isNew) {
        setIsNew(false);
        history.replaceState(null, "", paths.flow(flow.id));
      }
      toast("Saved", "success");
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.issues.length) {
        shared.issues.set(mapIssues(e.issues, flow.nodes.map((n) => n.id)));
        toast(`Not saved: ${e.issues.length} problem${e.issues.length > 1 ? "s" : ""} to fix (shown on the nodes)`, "error");
      } else toast(`Not saved: ${errorMessage(e)}`, "error");
      return false;
    }
  }, [isNew, shared.issues]);

  const inputSchema = doc.meta.input as JsonSchema | undefined;
  const run = useCallback(async () => {
    const check = checkInput(inputText, inputSchema);
    setTab("run");
    if (check.problems.length) return toast("Fix the run input first", "error");
    if (dirty || isNew) {
      if (!(await save())) return;
    }
    setBusy(true);
    try {
      const { runId } = await api<{ runId: string }>("POST", `flows/${encodeURIComponent(flowId)}/runs`, { input: check.value });
      stopFollowing.current?.();
      shared.run.set(startedRun(runId, flowId, docRef.current.nodes.map((n) => n.id)));
      stopFollowing.current = followRun(runId, shared.run, { onError: (e) => toast(`Live updates: ${errorMessage(e)}`, "error") });
    } catch (e) {
      toast(`Not started: ${errorMessage(e)}`, "error");
    } finally {
      setBusy(false);
    }
  }, [inputText, inputSchema, dirty, isNew, save, flowId, shared.run]);

  const cancel = useCallback(async () => {
    const v = shared.run.get();
    if (!v) return;
    try {
      await api("POST", `runs/${encodeURIComponent(v.runId)}/cancel`, { reason: "canceled in the editor" });
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  }, [shared.run]);

  const changeNode = useCallback(
    (nodeId: string, path: string[], value: unknown) => dispatch({ type: "edit", recipe: setNodeField(nodeId, path, value), coalesce: `${nodeId}:${path.join(".")}` }),
    [],
  );
  const changeMeta = useCallback((key: string, value: unknown) => dispatch({ type: "edit", recipe: setMeta(key, value), coalesce: `meta:${key}` }), []);

  const addAtCenter = useCallback(
    (info: NodeTypeInfo) => {
      const box = document.querySelector(".canvas")?.getBoundingClientRect();
      const at = rf.screenToFlowPosition({ x: (box?.left ?? 0) + (box?.width ?? 800) / 2, y: (box?.top ?? 0) + (box?.height ?? 600) / 2 });
      const offset = (docRef.current.nodes.length % 5) * GRID * 2;
      dispatch({ type: "edit", recipe: addNode(info, { x: Math.round((at.x - 96 + offset) / GRID) * GRID, y: Math.round((at.y - 32 + offset) / GRID) * GRID }) });
    },
    [rf],
  );

  const deleteSelection = useCallback(() => {
    const d = docRef.current;
    rf.deleteElements({ nodes: d.nodes.filter((n) => n.selected), edges: d.edges.filter((e) => e.selected) });
  }, [rf]);

  useEditorKeys({
    undo: () => dispatch({ type: "undo" }),
    redo: () => dispatch({ type: "redo" }),
    save: () => void save(),
    run: () => void run(),
    selectAll: () => {
      // selecting is not an undo step
      const d = docRef.current;
      dispatch({ type: "nodesChange", changes: d.nodes.filter((n) => !n.selected).map((n) => ({ type: "select", id: n.id, selected: true })) });
      dispatch({ type: "edgesChange", changes: d.edges.filter((e) => !e.selected).map((e) => ({ type: "select", id: e.id, selected: true })) });
    },
    fitView: () => void rf.fitView({ padding: 0.2, duration: 200 }),
    toggleHelp: () => setHelp((h) => !h),
    escape: () => {
      if (help) return setHelp(false);
      dispatch({ type: "nodesChange", changes: docRef.current.nodes.filter((n) => n.selected).map((n) => ({ type: "select", id: n.id, selected: false })) });
    },
    copy: () => {
      const ids = new Set(docRef.current.nodes.filter((n) => n.selected).map((n) => n.id));
      if (ids.size === 0) return undefined;
      toast(`Copied ${ids.size} node${ids.size > 1 ? "s" : ""}`);
      return selectionToText(docRef.current, ids);
    },
    deleteSelection,
    paste: (text) => {
      const pasted = parseClipboard(text);
      if (!pasted) return false;
      dispatch({ type: "edit", recipe: (d) => pasteInto(d, pasted, catalog.byName) });
      toast(`Pasted ${pasted.nodes.length} node${pasted.nodes.length > 1 ? "s" : ""}`);
      return true;
    },
  });

  const showFirstProblem = useCallback(() => {
    const d = docRef.current;
    const target = d.nodes.find((n) => shared.issues.get().byNode[n.id]);
    setTab("inspect");
    dispatch({ type: "nodesChange", changes: d.nodes.filter((n) => n.selected !== (n === target)).map((n) => ({ type: "select", id: n.id, selected: n === target })) });
    if (target) void rf.fitView({ nodes: [{ id: target.id }], maxZoom: 1.2, duration: 250 });
  }, [rf, shared.issues]);

  const onReady = useCallback(() => {
    performance.mark("keel:canvas-ready");
    document.documentElement.dataset.canvasReady = "true";
  }, []);

  return (
    <CanvasContext.Provider value={shared}>
      <div className="editor">
        <TopBar>
          <input
            className="flow-name"
            aria-label="Flow name"
            data-doc-fields
            value={doc.meta.name}
            maxLength={200}
            onChange={(e) => dispatch({ type: "edit", recipe: rename(e.target.value), coalesce: "name" })}
          />
          <span className={`save-state${dirty ? " is-dirty" : ""}`} data-testid="save-state" data-dirty={dirty}>
            {isNew ? "Not saved yet" : dirty ? "Unsaved changes" : "All changes saved"}
          </span>
          {issues.count ? (
            <button type="button" className="issue-state has-issues" data-testid="issue-state" onClick={showFirstProblem} title="Show the first problem">
              {`${issues.count} problem${issues.count > 1 ? "s" : ""}`}
            </button>
          ) : (
            <span className="issue-state" data-testid="issue-state">
              Valid
            </span>
          )}
          <span className="spacer" />
          <button type="button" className="button" onClick={() => dispatch({ type: "undo" })} disabled={state.past.length === 0} title="Undo (Ctrl+Z)">
            Undo
          </button>
          <button type="button" className="button" onClick={() => dispatch({ type: "redo" })} disabled={state.future.length === 0} title="Redo (Ctrl+Shift+Z)">
            Redo
          </button>
          <button type="button" className="button primary" onClick={() => void save()} title="Save (Ctrl+S)">
            Save
          </button>
          <button type="button" className="button" onClick={() => void run()} disabled={busy || doc.nodes.length === 0} title="Run (Ctrl+Enter)">
            ▶ Run
          </button>
          <button type="button" className="icon-button help-button" onClick={() => setHelp(true)} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">
            ?
          </button>
        </TopBar>
        <div className="editor-body">
          <Palette types={catalog.types} onAdd={addAtCenter} />
          <Canvas doc={doc} dispatch={dispatch} onReady={onReady} />
          <aside className="sidebar" aria-label="Inspector and run">
            <div className="tabs" role="tablist">
              <button type="button" role="tab" id="tab-inspect" aria-selected={tab === "inspect"} aria-controls="panel-inspect" onClick={() => setTab("inspect")}>
                Inspect
              </button>
              <button type="button" role="tab" id="tab-run" aria-selected={tab === "run"} aria-controls="panel-run" onClick={() => setTab("run")}>
                Run
              </button>
            </div>
            {tab === "inspect" ? (
              <div id="panel-inspect" role="tabpanel" aria-labelledby="tab-inspect" className="panel" data-doc-fields>
                {single ? (
                  <NodeInspector key={single.id} node={single} info={catalog.byName.get(single.data.type)} issues={issues.byNode[single.id]} onChange={changeNode} />
                ) : (
                  <FlowSettings meta={doc.meta} issues={issues.flow} selectedCount={selected.length} onChange={changeMeta} />
                )}
              </div>
            ) : (
              <div id="panel-run" role="tabpanel" aria-labelledby="tab-run" className="panel">
                <RunPanel
                  run={shared.run}
                  inputText={inputText}
                  onInputText={(t) => {
                    setInputText(t);
                    sessionStorage.setItem(`keel.input.${flowId}`, t);
                  }}
                  inputSchema={inputSchema}
                  selectedNodeId={single?.id}
                  upstream={upstreamOfSelected}
                  busy={busy}
                  canRun={doc.nodes.length > 0}
                  onRun={() => void run()}
                  onCancel={() => void cancel()}
                  onClear={() => shared.run.set(null)}
                />
              </div>
            )}
          </aside>
        </div>
        {help && <ShortcutHelp onClose={() => setHelp(false)} />}
      </div>
    </CanvasContext.Provider>
  );
}
