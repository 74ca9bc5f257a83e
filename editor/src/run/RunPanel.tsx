/** The run panel: the input (checked against the flow's input schema), Run, live status, and the selected node's last input/output/error. */
import { useCallback, useMemo } from "react";
import type { JsonSchema } from "../api/types.ts";
import { useSlice, type Store } from "../lib/store.ts";
import { paths } from "../lib/router.ts";
import { Link } from "../ui/Link.tsx";
import { checkInput } from "./inputCheck.ts";
import { isFinished, nodeInput, type RunView } from "./runState.ts";

/** Props of the run panel. */
export interface RunPanelProps {
  run: Store<RunView | null>;
  inputText: string;
  onInputText: (text: string) => void;
  inputSchema: JsonSchema | undefined;
  selectedNodeId: string | undefined;
  /** The edges into the selected node (to show what it received). */
  upstream: ReadonlyArray<{ from: string; when?: string | null }>;
  busy: boolean;
  canRun: boolean;
  onRun: () => void;
  onCancel: () => void;
  onClear: () => void;
}

const whole = (r: RunView | null) => r;

export function RunPanel(p: RunPanelProps) {
  const view = useSlice(p.run, whole);
  const check = useMemo(() => checkInput(p.inputText, p.inputSchema), [p.inputText, p.inputSchema]);
  const running = Boolean(view && !isFinished(view.status));
  const node = p.selectedNodeId && view ? view.nodes[p.selectedNodeId] : undefined;
  const received = node && view && p.selectedNodeId ? nodeInput(view, p.selectedNodeId, p.upstream) : undefined;
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const n of Object.values(view?.nodes ?? {})) c[n.status] = (c[n.status] ?? 0) + 1;
    return c;
  }, [view]);
  const onKeyDown = useCallback(
    (e: React.KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
        e.preventDefault();
        if (check.problems.length === 0 && p.canRun && !p.busy) p.onRun();
      }
    },
    [check.problems.length, p],
  );

  return (
    <div className="run-panel">
      <div className="field" data-field="run-input">
        <label htmlFor="run-input" className="field-label">
          Input (JSON)
        </label>
        <textarea
          id="run-input"
          className="json-input"
          rows={5}
          spellCheck={false}
          value={p.inputText}
          aria-invalid={check.problems.length > 0 || undefined}
          aria-describedby={check.problems.length ? "run-input-problems" : undefined}
          onChange={(e) => p.onInputText(e.target.value)}
          onKeyDown={onKeyDown}
        />
        {check.problems.length > 0 && (
          <ul id="run-input-problems" className="field-errors" role="alert">
            {check.problems.map((m, i) => (
              <li key={i}>{m}</li>
            ))}
          </ul>
        )}
        {p.inputSchema && check.problems.length === 0 && <p className="help">Matches the flow's input schema.</p>}
      </div>
      <div className="run-actions">
        <button type="button" className="button primary" disabled={!p.canRun || p.busy || check.problems.length > 0} onClick={p.onRun} title="Save if needed, then run (Ctrl+Enter)">
          {p.busy ? "Starting…" : "▶ Run"}
        </button>
        {running && (
          <button type="button" className="button" onClick={p.onCancel}>
            Cancel run
          </button>
        )}
        {view && !running && (
          <button type="button" className="link-button" onClick={p.onClear}>
            Clear statuses
          </button>
        )}
      </div>

      {view && (
        <section className="run-status" aria-label="Run status" data-run-status={view.status}>
          <p>
            <span className={`pill pill-${view.status}`}>{view.status}</span>{" "}
            <Link to={paths.run(view.runId)} className="run-link">
              {view.runId}
            </Link>
          </p>
          <p className="muted small">
            {Object.entries(counts)
              .map(([s, n]) => `${n} ${s}`)
              .join(" · ")}
          </p>
          {view.error && <p className="field-error">{view.error.message}</p>}
        </section>
      )}

      <section className="run-node" aria-label="Selected node in this run">
        <h3>{p.selectedNodeId ? <>Node <code>{p.selectedNodeId}</code></> : "Selected node"}</h3>
        {!p.selectedNodeId && <p className="muted small">Select a node to see its last input, output and error.</p>}
        {p.selectedNodeId && !node && <p className="muted small">{view ? "Not part of this run." : "Run the flow to see what this node receives and returns."}</p>}
        {node && (
          <>
            <p className="small">
              <span className={`pill pill-${node.status}`}>{node.status}</span>
              {node.attempts > 1 && <> · attempt {node.attempts}</>}
              {node.ms !== undefined && <> · {Math.round(node.ms)} ms</>}
              {node.port && <> · left by <code>{node.port}</code></>}
              {node.note && <> · {node.note}</>}
            </p>
            {node.status === "waiting" && node.approvalId && (
              <p>
                <Link to={paths.inbox(node.approvalId)} className="button primary">
                  Decide in the Inbox
                </Link>
              </p>
            )}
            {node.error && (
              <div className="run-block">
                <h4>Error</h4>
                <pre className="json-view error">{`${node.error.code}: ${node.error.message}`}</pre>
              </div>
            )}
            {received !== undefined && (
              <div className="run-block">
                <h4>{p.upstream.length ? "Input (upstream outputs)" : "Input (the run's input)"}</h4>
                <pre className="json-view" data-testid="node-input">
                  {pretty(received)}
                </pre>
              </div>
            )}
            {node.output !== undefined && (
              <div className="run-block">
                <h4>Output</h4>
                <pre className="json-view" data-testid="node-output">
                  {pretty(node.output)}
                </pre>
              </div>
            )}
          </>
        )}
      </section>
    </div>
  );
}

function pretty(v: unknown): string {
  const text = JSON.stringify(v, null, 2) ?? String(v);
  return text.length > 20_000 ? `${text.slice(0, 20_000)}\n… (${text.length - 20_000} more characters)` : text;
}
