/** The flows list: open, create, duplicate, delete; and the latest runs. */
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, errorMessage } from "../api/client.ts";
import type { FlowInput, FlowSummary, RunSummary } from "../api/types.ts";
import { slugify, uniqueId } from "../lib/ids.ts";
import { navigate, paths } from "../lib/router.ts";
import { Link } from "../ui/Link.tsx";
import { toast } from "../ui/toasts.tsx";
import { TopBar } from "../ui/TopBar.tsx";
import { formatTime } from "../ui/time.ts";

export function FlowsPage() {
  const [flows, setFlows] = useState<FlowSummary[] | undefined>();
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [name, setName] = useState("");
  const [confirming, setConfirming] = useState<string | undefined>();

  const refresh = useCallback(async () => {
    try {
      const [f, r] = await Promise.all([api<{ items: FlowSummary[] }>("GET", "flows"), api<{ items: RunSummary[] }>("GET", "runs?limit=8")]);
      setFlows([...f.items].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)));
      setRuns(r.items);
      setError(undefined);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    document.title = "Flows · Keel";
    void refresh();
  }, [refresh]);

  const taken = (id: string) => (flows ?? []).some((f) => f.id === id);
  const create = (e: FormEvent) => {
    e.preventDefault();
    const title = name.trim() || "Untitled flow";
    navigate(paths.newFlow(uniqueId(slugify(title), taken, "-"), title));
  };
  const duplicate = async (id: string) => {
    try {
      const { flow } = await api<{ flow: FlowInput }>("GET", `flows/${encodeURIComponent(id)}`);
      const copyId = uniqueId(`${id.slice(0, 56)}-copy`, taken, "-");
      await api("POST", "flows", { ...flow, id: copyId, name: `${flow.name} (copy)`.slice(0, 200) });
      toast(`Duplicated as ${copyId}`, "success");
      await refresh();
    } catch (e) {
      toast(`Not duplicated: ${errorMessage(e)}`, "error");
    }
  };
  const remove = async (id: string) => {
    try {
      await api("DELETE", `flows/${encodeURIComponent(id)}`);
      toast(`Deleted ${id}`, "success");
      setConfirming(undefined);
      await refresh();
    } catch (e) {
      toast(`Not deleted: ${errorMessage(e)}`, "error");
    }
  };

  return (
    <div className="page">
      <TopBar />
      <main className="page-body">
        <div className="page-head">
          <h1>Flows</h1>
          <form className="new-flow" onSubmit={create}>
            <label htmlFor="new-flow-name" className="visually-hidden">
              New flow name
            </label>
            <input id="new-flow-name" type="text" placeholder="Name of a new flow" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
            <button type="submit" className="button primary">
              New flow
            </button>
          </form>
        </div>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        {flows && flows.length === 0 && (
          <div className="empty-state">
            <h2>No flows yet</h2>
            <p>Name a new flow above, then drag nodes from the palette onto the canvas.</p>
          </div>
        )}
        {flows && flows.length > 0 && (
          <table className="table flows-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Id</th>
                <th scope="col">Nodes</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {flows.map((f) => (
                <tr key={f.id} data-flow-id={f.id}>
                  <td>
                    <Link to={paths.flow(f.id)} className="flow-link">
                      {f.name}
                    </Link>
                    {f.description && <div className="muted small">{f.description}</div>}
                  </td>
                  <td>
                    <code>{f.id}</code>
                  </td>
                  <td>{f.nodes}</td>
                  <td>{formatTime(f.updatedAt)}</td>
                  <td className="row-actions">
                    {confirming === f.id ? (
                      <>
                        <span className="small">Delete “{f.name}”?</span>
                        <button type="button" className="button danger" onClick={() => void remove(f.id)}>
                          Delete
                        </button>
                        <button type="button" className="button" onClick={() => setConfirming(undefined)}>
                          Keep
                        </button>
                      </>
                    ) : (
                      <>
                        <button type="button" className="button" onClick={() => void duplicate(f.id)} aria-label={`Duplicate ${f.name}`}>
                          Duplicate
                        </button>
                        <button type="button" className="button" onClick={() => setConfirming(f.id)} aria-label={`Delete ${f.name}`}>
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {runs.length > 0 && (
          <section className="recent-runs">
            <h2>Latest runs</h2>
            <table className="table">
              <tbody>
                {runs.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <span className={`pill pill-${r.status}`}>{r.status}</span>
                    </td>
                    <td>
                      <Link to={paths.run(r.id)}>{r.id}</Link>
                    </td>
                    <td>{r.flowName}</td>
                    <td>{formatTime(r.startedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        )}
      </main>
    </div>
  );
}
