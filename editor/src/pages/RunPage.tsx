/** One run: its status, each node's result, and its event log, updated live. */
import { useEffect, useMemo, useState } from "react";
import { errorMessage } from "../api/client.ts";
import { paths } from "../lib/router.ts";
import { createStore, useSlice } from "../lib/store.ts";
import { followRun } from "../run/follow.ts";
import { isFinished, type RunView } from "../run/runState.ts";
import { Link } from "../ui/Link.tsx";
import { formatTime } from "../ui/time.ts";
import { TopBar } from "../ui/TopBar.tsx";

const whole = (r: RunView | null) => r;

export function RunPage({ runId }: { runId: string }) {
  const store = useMemo(() => createStore<RunView | null>(null), []);
  const view = useSlice(store, whole);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    document.title = `Run ${runId} · Keel`;
    return followRun(runId, store, { onError: (e) => setError(errorMessage(e)) });
  }, [runId, store]);

  return (
    <div className="page">
      <TopBar />
      <main className="page-body">
        <div className="page-head">
          <h1>
            Run <code>{runId}</code>
          </h1>
          {view && <span className={`pill pill-${view.status}`} data-run-status={view.status}>{view.status}</span>}
        </div>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        {!view && !error && <p className="muted">Loading…</p>}
        {view && (
          <>
            <p className="muted">
              Flow <Link to={paths.flow(view.flowId)}>{view.flowId}</Link>
              {view.startedAt && <> · started {formatTime(view.startedAt)}</>}
              {!isFinished(view.status) && <> · updating live</>}
            </p>
            {view.error && <p className="field-error">{view.error.message}</p>}
            <table className="table run-nodes">
              <thead>
                <tr>
                  <th scope="col">Node</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Time</th>
                  <th scope="col">Output or error</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(view.nodes).map(([id, n]) => (
                  <tr key={id} data-node-id={id}>
                    <td>
                      <code>{id}</code>
                    </td>
                    <td>
                      <span className={`pill pill-${n.status}`}>{n.status}</span>
                      {n.note && <div className="muted small">{n.note}</div>}
                    </td>
                    <td>{n.attempts || ""}</td>
                    <td>{n.ms !== undefined ? `${Math.round(n.ms)} ms` : ""}</td>
                    <td>
                      {n.error ? (
                        <pre className="json-view error">{`${n.error.code}: ${n.error.message}`}</pre>
                      ) : n.output !== undefined ? (
                        <pre className="json-view">{JSON.stringify(n.output, null, 2)}</pre>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="muted small">{view.events} events</p>
          </>
        )}
      </main>
    </div>
  );
}
