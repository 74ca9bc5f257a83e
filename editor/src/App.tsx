/** The editor app: loads the node types once, then shows the page the address names. */
import { useEffect, useState } from "react";
import { errorMessage } from "./api/client.ts";
import { loadCatalog, type Catalog } from "./catalog.ts";
import { useRoute } from "./lib/router.ts";
import { EditorPage } from "./pages/EditorPage.tsx";
import { FlowsPage } from "./pages/FlowsPage.tsx";
import { InboxPage } from "./pages/InboxPage.tsx";
import { RunPage } from "./pages/RunPage.tsx";
import { paths } from "./lib/router.ts";
import { Link } from "./ui/Link.tsx";
import { Toasts } from "./ui/toasts.tsx";
import { TopBar } from "./ui/TopBar.tsx";

export function App() {
  const route = useRoute();
  const [catalog, setCatalog] = useState<Catalog | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  useEffect(() => {
    loadCatalog().then(setCatalog, (e) => setFailure(errorMessage(e)));
  }, []);

  let page;
  if (failure) {
    page = (
      <Centered title="Keel cannot load its node types">
        <p>{failure}</p>
        <p className="muted">Reload the page once the server is running.</p>
      </Centered>
    );
  } else if (!catalog) {
    page = <Centered title="Loading Keel…" />;
  } else if (route.page === "flows") page = <FlowsPage />;
  else if (route.page === "flow") page = <EditorPage key={route.flowId} flowId={route.flowId} isNew={route.isNew} name={route.name} catalog={catalog} />;
  else if (route.page === "run") page = <RunPage key={route.runId} runId={route.runId} />;
  else if (route.page === "inbox") page = <InboxPage initial={route.approval} />;
  else {
    page = (
      <Centered title="Nothing here">
        <p>
          No page at <code>{route.path}</code>. <Link to={paths.flows()}>See all flows</Link>.
        </p>
      </Centered>
    );
  }
  return (
    <>
      {page}
      <Toasts />
    </>
  );
}

function Centered({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <div className="page">
      <TopBar />
      <main className="page-body">
        <div className="empty-state">
          <h1>{title}</h1>
          {children}
        </div>
      </main>
    </div>
  );
}
