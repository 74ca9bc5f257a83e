/** Loads a flow (or starts a new one) and opens the editor on it. */
import { ReactFlowProvider } from "@xyflow/react";
import { useEffect, useState } from "react";
import { ApiError, errorMessage } from "../api/client.ts";
import { getOnce } from "../api/prefetch.ts";
import type { FlowInput } from "../api/types.ts";
import type { Catalog } from "../catalog.ts";
import { paths } from "../lib/router.ts";
import { Link } from "../ui/Link.tsx";
import { TopBar } from "../ui/TopBar.tsx";
import { FlowEditor } from "./FlowEditor.tsx";

type Loaded = { state: "loading" } | { state: "failed"; message: string } | { state: "ready"; flow: FlowInput; isNew: boolean };

export function EditorPage({ flowId, isNew, name, catalog }: { flowId: string; isNew: boolean; name?: string; catalog: Catalog }) {
  const [loaded, setLoaded] = useState<Loaded>({ state: "loading" });
  useEffect(() => {
    let live = true;
    const fresh = (): FlowInput => ({ schema: "keel/flow@1", id: flowId, name: name || flowId, nodes: [], edges: [] });
    // a new flow's id was picked free from the list: no need to ask (a 404 would log a console error)
    if (isNew) {
      setLoaded({ state: "ready", isNew: true, flow: fresh() });
      return;
    }
    getOnce<{ flow: FlowInput }>(`flows/${encodeURIComponent(flowId)}`)
      .then(({ flow }) => live && setLoaded({ state: "ready", flow, isNew: false }))
      .catch((e) => {
        if (!live) return;
        setLoaded({ state: "failed", message: e instanceof ApiError && e.code === "NOT_FOUND" ? `There is no flow "${flowId}" (deleted, or never saved).` : errorMessage(e) });
      });
    return () => {
      live = false;
    };
  }, [flowId, isNew, name]);

  if (loaded.state !== "ready") {
    return (
      <div className="page">
        <TopBar />
        <main className="page-body">
          {loaded.state === "loading" ? (
            <p className="muted">Loading {flowId}…</p>
          ) : (
            <div className="empty-state" role="alert">
              <h1>Cannot open this flow</h1>
              <p>{loaded.message}</p>
              <Link to={paths.flows()}>Back to all flows</Link>
            </div>
          )}
        </main>
      </div>
    );
  }
  return (
    <ReactFlowProvider>
      <FlowEditor flow={loaded.flow} isNew={loaded.isNew} catalog={catalog} />
    </ReactFlowProvider>
  );
}
