/**
 * A loopback HTTP server that behaves like a payment API with idempotency keys: it records
 * every request, applies each key's side effect once (a repeated key gets the stored response,
 * a repeated key with a different body gets 422), and can hold a chosen request open so a test
 * can kill the client between the request and its response.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request as received. */
export interface RecordedRequest {
  key: string | undefined;
  method: string;
  path: string;
  body: string;
  /** The label the test gave the current phase when the request arrived (e.g. "run", "resume 1"). */
  phase: string;
  /** Epoch ms of arrival. */
  at: number;
  /** The request repeated a key whose effect was already applied: it got the stored response. */
  replayed: boolean;
}

/** A side effect applied once for its key. */
export interface AppliedEffect {
  key: string;
  path: string;
  body: string;
  phase: string;
  response: unknown;
}

/** When to hold a request open: matched by path prefix, before or after its effect is applied. */
export interface HoldRule {
  pathPrefix: string;
  /** "before-effect": nothing happened yet; "after-effect": the effect is applied, only the answer is lost. */
  phase: "before-effect" | "after-effect";
}

/** Options for the recorder. */
export interface HttpRecorderOptions {
  /** Delay before answering a request (ms); lets a test's kill land while a run is busy. */
  delayMs?: (req: { path: string; n: number }) => number;
  /** Called as each request arrives, before anything else is done with it. */
  onRequest?: (req: RecordedRequest) => void;
}

/** A started recorder; `close()` stops it and drops held connections. */
export interface HttpRecorder {
  url: string;
  requests: RecordedRequest[];
  effects: Map<string, AppliedEffect>;
  /** Requests that reused a key with a different body: the client was not idempotent. */
  conflicts: RecordedRequest[];
  /** Labels the requests that arrive from now on. */
  setPhase(phase: string): void;
  /** Holds the next matching request open; resolves with it once it arrives. */
  holdNext(rule: HoldRule): { arrived: Promise<RecordedRequest>; cancel(): void };
  close(): Promise<void>;
}

/** The response a key's effect produces: a pure function of path and body, so every run agrees. */
export function effectResponse(path: string, body: string): Record<string, unknown> {
  let parsed: unknown = body;
  try {
    parsed = body ? JSON.parse(body) : null;
  } catch {
    // not JSON: echo the text
  }
  const kind = path.split("/")[1] || "root";
  const id = `${kind.slice(0, 3)}_${createHash("sha256").update(`${path}\n${body}`).digest("hex").slice(0, 12)}`;
  const amount = (parsed as { amount?: unknown } | null)?.amount;
  return { id, path, received: parsed, ...(typeof amount === "number" ? { amount } : {}) };
}

/** Starts the recorder on 127.0.0.1, port 0. */
export async function startHttpRecorder(options: HttpRecorderOptions = {}): Promise<HttpRecorder> {
  const requests: RecordedRequest[] = [];
  const effects = new Map<string, AppliedEffect>();
  const conflicts: RecordedRequest[] = [];
  const holds: Array<{ rule: HoldRule; resolve: (r: RecordedRequest) => void }> = [];
  let phase = "start";
  let n = 0;

  const server = http.createServer(async (raw, res) => {
    const chunks: Buffer[] = [];
    for await (const c of raw) chunks.push(c as Buffer);
    const path = raw.url ?? "/";
    const key = raw.headers["idempotency-key"] as string | undefined;
    const seen: RecordedRequest = { key, method: raw.method ?? "", path, body: Buffer.concat(chunks).toString("utf8"), phase, replayed: false, at: Date.now() };
    requests.push(seen);
    options.onRequest?.(seen);
    const delay = options.delayMs?.({ path, n: n++ }) ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));

    const hold = takeHold(seen);
    if (hold?.rule.phase === "before-effect") return holdOpen(hold, seen);
    if (!key) return send(res, 400, { error: "Idempotency-Key header is required" });
    const before = effects.get(key);
    if (before) {
      if (before.body !== seen.body || before.path !== seen.path) {
        conflicts.push(seen);
        return send(res, 422, { error: "Idempotency-Key reused with a different request" });
      }
      seen.replayed = true;
    } else {
      effects.set(key, { key, path, body: seen.body, phase: seen.phase, response: effectResponse(path, seen.body) });
    }
    if (hold) return holdOpen(hold, seen);
    send(res, 200, effects.get(key)!.response);
  });

  function takeHold(req: RecordedRequest) {
    const i = holds.findIndex((h) => req.path.startsWith(h.rule.pathPrefix));
    return i === -1 ? undefined : holds.splice(i, 1)[0];
  }
  // The answer never comes: the test kills the client, whose socket then closes.
  function holdOpen(hold: { resolve: (r: RecordedRequest) => void }, req: RecordedRequest): void {
    hold.resolve(req);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    effects,
    conflicts,
    setPhase(p) {
      phase = p;
    },
    holdNext(rule) {
      let entry!: { rule: HoldRule; resolve: (r: RecordedRequest) => void };
      const arrived = new Promise<RecordedRequest>((resolve) => {
        entry = { rule, resolve };
        holds.push(entry);
      });
      return {
        arrived,
        cancel() {
          const i = holds.indexOf(entry);
          if (i !== -1) holds.splice(i, 1);
        },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
