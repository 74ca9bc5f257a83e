/**
 * The websocket `/api/live`: after authenticating (first message `{type:"auth",token}` or the
 * subprotocol `keel.<token>`, never the URL), a client subscribes to runs or flows and receives
 * every event of those runs as it is appended; editors also share flow documents (live-flows.ts).
 */
import type http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { RunEvent } from "../../runtime/schema/events.ts";
import { tokenMatches } from "./auth.ts";
import type { ServerContext } from "./context.ts";
import { refusal } from "./guard.ts";
import { flowEditing, type EditingClient } from "./live-flows.ts";

/** The path the websocket answers on. */
export const LIVE_PATH = "/api/live";
/** Close code for a socket that did not authenticate. */
export const CLOSE_UNAUTHORIZED = 4401;
const PROTOCOL_PREFIX = "keel.";
const MAX_SUBSCRIPTIONS = 1000;
/** A client further behind than this is dropped rather than buffered without end. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** Options for the live endpoint. */
export interface LiveOptions {
  /** How long a new socket has to authenticate (default 10 s). */
  authTimeoutMs?: number;
  /** Interval of the keep-alive ping that finds dead peers (default 30 s). */
  pingIntervalMs?: number;
}

/** The running live endpoint. */
export interface Live {
  /** Sockets currently open. */
  clients(): number;
  close(): Promise<void>;
}

interface Client extends EditingClient {
  ws: WebSocket;
  authed: boolean;
  alive: boolean;
  runs: Set<string>;
  flows: Set<string>;
}

/** Attaches `/api/live` to an HTTP server and starts pushing run events to subscribers. */
export function attachLive(server: http.Server, ctx: ServerContext, options: LiveOptions = {}): Live {
  const clients = new Set<Client>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 6 * 1024 * 1024, // a flow.update of a big paste (4 MB, base64)
    handleProtocols: (protocols) => {
      for (const p of protocols) if (p.startsWith(PROTOCOL_PREFIX) && tokenMatches(p.slice(PROTOCOL_PREFIX.length), ctx.token)) return p;
      return false;
    },
  });

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const path = (req.url ?? "").split("?")[0];
    if (path !== LIVE_PATH) return refuse(socket, 404, "Not Found");
    const why = refusal({ host: req.headers.host, origin: req.headers.origin }, ctx.allowedHosts);
    if (why) return refuse(socket, 403, "Forbidden");
    wss.handleUpgrade(req, socket, head, (ws) => welcome(ws));
  };
  server.on("upgrade", onUpgrade);

  const welcome = (ws: WebSocket) => {
    const client: Client = {
      ws,
      authed: ws.protocol.startsWith(PROTOCOL_PREFIX),
      alive: true,
      runs: new Set(),
      flows: new Set(),
      editing: new Set(),
      send: (msg) => send(client, msg),
      fail: (message) => fail(client, message),
    };
    clients.add(client);
    ws.on("error", () => ws.terminate());
    ws.on("close", () => clients.delete(client));
    ws.on("pong", () => (client.alive = true));
    if (client.authed) send(client, { type: "ready" });
    const timer = client.authed
      ? undefined
      : setTimeout(() => ws.close(CLOSE_UNAUTHORIZED, "authenticate first"), options.authTimeoutMs ?? 10_000);
    timer?.unref();
    ws.on("message", (data, isBinary) => {
      const msg = isBinary ? undefined : parse(data.toString());
      if (!client.authed) {
        clearTimeout(timer);
        if (msg?.type === "auth" && tokenMatches(msg.token, ctx.token)) {
          client.authed = true;
          return send(client, { type: "ready" });
        }
        return ws.close(CLOSE_UNAUTHORIZED, "the first message must be {type:\"auth\",token} with a valid token");
      }
      handle(client, msg);
    });
  };

  const editing = flowEditing(ctx.keel, clients);
  const handle = (client: Client, msg: Record<string, unknown> | undefined) => {
    if (!msg) return fail(client, "messages are JSON objects with a type");
    if (editing.handle(client, msg)) return;
    switch (msg.type) {
      case "subscribe":
      case "unsubscribe": {
        const { runId, flowId } = msg;
        const target = typeof runId === "string" ? { set: client.runs, id: runId, key: "runId" } : typeof flowId === "string" ? { set: client.flows, id: flowId, key: "flowId" } : undefined;
        if (!target || target.id.length === 0 || target.id.length > 200) return fail(client, `${msg.type} needs a runId or a flowId (a string)`);
        if (msg.type === "subscribe") {
          if (client.runs.size + client.flows.size >= MAX_SUBSCRIPTIONS) return fail(client, `at most ${MAX_SUBSCRIPTIONS} subscriptions per socket`);
          target.set.add(target.id);
          return send(client, { type: "subscribed", [target.key]: target.id });
        }
        target.set.delete(target.id);
        return send(client, { type: "unsubscribed", [target.key]: target.id });
      }
      case "ping":
        return send(client, { type: "pong" });
      case "auth":
        return send(client, { type: "ready" });
      default:
        return fail(client, `unknown message type ${JSON.stringify(String(msg.type)).slice(0, 60)}`);
    }
  };

  // Which flow each run belongs to, so flow subscribers get the run's events. Events of a run
  // whose flow is not known yet (a run resumed from disk) wait in order for the look-up.
  const flowOf = new Map<string, string>();
  const pending = new Map<string, RunEvent[]>();
  const offEvents = ctx.keel.coordinator.on((runId, event) => {
    if (event.type === "run.created") flowOf.set(runId, event.flow.id);
    const queued = pending.get(runId);
    if (queued) return void queued.push(event);
    const flowId = flowOf.get(runId);
    if (flowId !== undefined) return deliver(runId, flowId, event);
    if (clients.size === 0) return; // nobody listens: no need to know
    pending.set(runId, [event]);
    ctx.keel.coordinator.state(runId).then(
      (s) => {
        const events = pending.get(runId) ?? [];
        pending.delete(runId);
        if (!events.some((e) => isLast(e))) flowOf.set(runId, s.flow.id);
        for (const e of events) deliver(runId, s.flow.id, e);
      },
      () => pending.delete(runId),
    );
  });

  const deliver = (runId: string, flowId: string, event: RunEvent) => {
    if (isLast(event)) flowOf.delete(runId);
    let text: string | undefined;
    for (const c of clients) {
      if (!c.authed || !(c.runs.has(runId) || c.flows.has(flowId))) continue;
      text ??= JSON.stringify({ type: "event", runId, flowId, event });
      if (c.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        c.ws.close(1013, "too far behind; reconnect and read the run");
        continue;
      }
      c.ws.send(text);
    }
  };

  const ping = setInterval(() => {
    for (const c of clients) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }, options.pingIntervalMs ?? 30_000);
  ping.unref();

  return {
    clients: () => clients.size,
    async close() {
      clearInterval(ping);
      offEvents();
      editing.stop();
      server.off("upgrade", onUpgrade);
      for (const c of clients) c.ws.close(1001, "Keel is stopping");
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const c of clients) c.ws.terminate();
    },
  };
}

/** Events after which a run's flow need not be remembered (it is looked up again if it wakes). */
function isLast(e: RunEvent): boolean {
  return e.type === "run.succeeded" || e.type === "run.failed" || e.type === "run.canceled" || e.type === "run.waiting";
}

function send(client: Client, msg: Record<string, unknown>): void {
  if (client.ws.readyState === client.ws.OPEN) client.ws.send(JSON.stringify(msg));
}

function fail(client: Client, message: string): void {
  send(client, { type: "error", error: { code: "VALIDATION", message } });
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
