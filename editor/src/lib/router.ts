/** A small history router: the server serves the editor page for every path that is not /api. */
import { useSyncExternalStore } from "react";

/** The pages of the editor. */
export type Route =
  | { page: "flows" }
  | { page: "flow"; flowId: string; isNew: boolean; name?: string }
  | { page: "run"; runId: string }
  | { page: "inbox"; approval?: string }
  | { page: "missing"; path: string };

const listeners = new Set<() => void>();
/** Asked before leaving a page; returns false to stay (unsaved changes). */
let leaveGuard: (() => boolean) | undefined;

function notify() {
  for (const l of listeners) l();
}

if (typeof window !== "undefined") window.addEventListener("popstate", notify);

/** Parses a location into a route. */
export function parseRoute(pathname: string, search: string): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(search);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === "flows")) return { page: "flows" };
  if (parts[0] === "flows" && parts.length === 2) {
    return { page: "flow", flowId: parts[1], isNew: query.get("new") === "1", name: query.get("name") ?? undefined };
  }
  if (parts[0] === "runs" && parts.length === 2) return { page: "run", runId: parts[1] };
  if (parts[0] === "inbox" && parts.length === 1) return { page: "inbox", approval: query.get("approval") ?? undefined };
  return { page: "missing", path: pathname };
}

/** The current route; re-renders on navigation. */
export function useRoute(): Route {
  const href = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => location.pathname + location.search,
  );
  const url = new URL(href, location.origin);
  return parseRoute(url.pathname, url.search);
}

/** Goes to a path inside the editor (asks first when there are unsaved changes). */
export function navigate(path: string, options: { replace?: boolean; force?: boolean } = {}): void {
  if (!options.force && leaveGuard && !leaveGuard()) return;
  if (options.replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  notify();
}

/** Sets (or clears) what is asked before leaving the current page. */
export function setLeaveGuard(guard: (() => boolean) | undefined): void {
  leaveGuard = guard;
}

/** Paths of the editor's pages. */
export const paths = {
  flows: () => "/",
  flow: (id: string) => `/flows/${encodeURIComponent(id)}`,
  newFlow: (id: string, name: string) => `/flows/${encodeURIComponent(id)}?new=1&name=${encodeURIComponent(name)}`,
  run: (id: string) => `/runs/${encodeURIComponent(id)}`,
  inbox: (approval?: string) => (approval ? `/inbox?approval=${encodeURIComponent(approval)}` : "/inbox"),
};
