/** A real HTTP server on 127.0.0.1 for tests: records every request and answers as each test asks. */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request the server received. */
export interface SeenRequest {
  method: string;
  path: string;
  key: string | undefined;
  body: string;
}

/** How to answer one request; return undefined for a plain 200 with `{ ok: true, path }`. */
export type Answer = (req: SeenRequest, raw: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void> | undefined;

/** A started server; `close()` stops it and drops open connections. */
export interface LocalServer {
  url: string;
  requests: SeenRequest[];
  /** Requests in flight right now, and the most ever in flight at once. */
  inFlight: number;
  maxInFlight: number;
  /** Requests whose client went away before the answer (e.g. an aborted fetch). */
  aborted: SeenRequest[];
  close(): Promise<void>;
}

/** Starts a server on port 0; `answer` decides each response. */
export async function startServer(answer: Answer = () => undefined): Promise<LocalServer> {
  const state: LocalServer = {
    url: "",
    requests: [],
    inFlight: 0,
    maxInFlight: 0,
    aborted: [],
    close: async () => {},
  };
  const server = http.createServer(async (raw, res) => {
    const chunks: Buffer[] = [];
    for await (const c of raw) chunks.push(c as Buffer);
    const seen: SeenRequest = {
      method: raw.method ?? "",
      path: raw.url ?? "",
      key: raw.headers["idempotency-key"] as string | undefined,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    state.requests.push(seen);
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    // out of flight once the answer is handed to the OS ("finish"), or the client went away ("close")
    let done = false;
    const leave = () => {
      if (done) return;
      done = true;
      state.inFlight--;
      if (!res.writableFinished) state.aborted.push(seen);
    };
    res.on("finish", leave);
    res.on("close", leave);
    try {
      await answer(seen, raw, res);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    }
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, path: seen.path }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** Sends a JSON answer with a status. */
export function reply(res: http.ServerResponse, status: number, body: unknown = {}): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Resolves after `ms` of real time. */
export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits (real time, bounded) until `check` holds; fails with `what` otherwise. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await pause(10);
  }
}
