/** The bar at the top of every page: the brand, the pages, and the page's own controls. */
import type { ReactNode } from "react";
import { usePendingCount } from "../inbox/pendingCount.ts";
import { paths, useRoute } from "../lib/router.ts";
import { Link } from "./Link.tsx";

export function TopBar({ children }: { children?: ReactNode }) {
  const route = useRoute();
  const at = (page: string) => (route.page === page ? "page" : undefined);
  const pending = usePendingCount();
  return (
    <header className="topbar">
      <Link to={paths.flows()} className="brand" aria-label="Keel, all flows">
        <span className="brand-mark" aria-hidden="true">
          ⚓
        </span>
        Keel
      </Link>
      <nav className="topnav" aria-label="Pages">
        <Link to={paths.flows()} aria-current={at("flows") ?? at("flow")}>
          Flows
        </Link>
        <Link to={paths.inbox()} aria-current={at("inbox")} aria-label={pending ? `Inbox, ${pending} waiting` : "Inbox"}>
          Inbox
          {pending ? <span className="badge">{pending >= 100 ? "99+" : pending}</span> : null}
        </Link>
      </nav>
      {children}
    </header>
  );
}
