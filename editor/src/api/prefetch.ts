/**
 * Requests started before React renders, so that the node types and the flow a page needs
 * load in parallel with the app's own start-up rather than one after the other.
 */
import { api } from "./client.ts";

const started = new Map<string, Promise<unknown>>();

/** Starts `GET /api/<path>` now; the page that needs it takes it with `takePrefetched`. */
export function prefetch(path: string): void {
  const request = api("GET", path);
  request.catch(() => {}); // whoever takes it handles the error; nobody may
  started.set(path, request);
}

/** The prefetched request for a path (once), or a fresh one. */
export function getOnce<T>(path: string): Promise<T> {
  const request = started.get(path);
  started.delete(path);
  return (request as Promise<T> | undefined) ?? api<T>("GET", path);
}

/** Prefetches what the page at this address will ask for first. */
export function prefetchFor(pathname: string, search: string): void {
  prefetch("node-types");
  const m = /^\/flows\/([^/]+)$/.exec(pathname);
  if (m && !new URLSearchParams(search).has("new")) prefetch(`flows/${m[1]}`);
}
