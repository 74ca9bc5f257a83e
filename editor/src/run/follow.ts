/**
 * Follows a run live: subscribe on the websocket first, then read the run, then apply pushed
 * events it does not have yet — nothing is missed and nothing is applied twice. When the socket
 * goes quiet while the run is unfinished, it reads the events it missed over HTTP.
 */
import { api } from "../api/client.ts";
import { live } from "../api/live.ts";
import type { RunEvent, RunResult } from "../api/types.ts";
import type { Store } from "../lib/store.ts";
import { applyEvent, isFinished, runFromResponse, type RunView } from "./runState.ts";

const QUIET_MS = 3000;
const CONFIRM_WAIT_MS = 2000;

interface RunResponse {
  run: RunResult;
  events: RunEvent[];
}

/** Streams a run into a store until stopped; returns the stop function. */
export function followRun(runId: string, store: Store<RunView | null>, options: { onError?: (e: unknown) => void } = {}): () => void {
  let stopped = false;
  let loaded = false;
  let lastHeard = Date.now();
  const early: RunEvent[] = [];

  const mine = (v: RunView | null): v is RunView => v?.runId === runId;
  const push = (e: RunEvent) => {
    lastHeard = Date.now();
    if (!loaded) return void early.push(e);
    store.set((v) => (mine(v) ? applyEvent(v, e) : v));
  };
  const sub = live.subscribe(runId, push);

  const read = async (after?: number) => {
    const res = await api<RunResponse>("GET", `runs/${encodeURIComponent(runId)}${after ? `?after=${after}` : ""}`);
    if (stopped) return;
    lastHeard = Date.now();
    if (after === undefined) {
      let view = runFromResponse(res);
      for (const e of early) view = applyEvent(view, e);
      early.length = 0;
      loaded = true;
      store.set(view);
    } else {
      store.set((v) => {
        if (!mine(v)) return v;
        let view = v;
        for (const e of res.events) view = applyEvent(view, e);
        return view.status === res.run.status ? view : { ...view, status: res.run.status };
      });
    }
  };

  const resync = () => {
    const v = store.get();
    if (!stopped && mine(v)) read(v.lastSeq).catch(options.onError);
  };
  live.onReconnect.add(resync);

  (async () => {
    await Promise.race([sub.confirmed, new Promise((r) => setTimeout(r, CONFIRM_WAIT_MS))]);
    if (!stopped) await read();
  })().catch((e) => options.onError?.(e));

  const quiet = setInterval(() => {
    const v = store.get();
    if (stopped || !loaded || !mine(v) || isFinished(v.status)) return;
    if (Date.now() - lastHeard > QUIET_MS) resync();
  }, 1000);

  return () => {
    stopped = true;
    clearInterval(quiet);
    live.onReconnect.delete(resync);
    sub.unsubscribe();
  };
}
