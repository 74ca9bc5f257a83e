/**
 * The websocket `/api/live`: one shared socket per page, authenticated by its first message,
 * with subscriptions to runs that survive a reconnect.
 */
import { pageToken } from "./client.ts";
import type { FlowInput, RunEvent } from "./types.ts";

type Listener = (event: RunEvent) => void;

interface Subscription {
  runId: string;
  listeners: Set<Listener>;
  /** Resolved once the server confirms the subscription (after each (re)connect). */
  confirmed: Promise<void>;
  confirm: () => void;
}

const RECONNECT_MS = [250, 500, 1000, 2000, 5000];

/** What an editor of a shared flow document hears. */
export interface FlowChannelHandlers {
  /** The whole document (on joining, and again after a reconnect). */
  state(update: Uint8Array): void;
  /** Another editor's change. */
  update(update: Uint8Array): void;
  /** The flow was saved (by any editor). */
  saved(flow: FlowInput): void;
}

const toBase64 = (bytes: Uint8Array) => {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
};
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** A live connection to Keel's run events. */
class LiveSocket {
  private ws: WebSocket | undefined;
  private ready = false;
  private attempts = 0;
  private readonly subs = new Map<string, Subscription>();
  private readonly flows = new Map<string, FlowChannelHandlers>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  /** Called after a reconnect: subscribers re-read their run to catch what they missed. */
  onReconnect = new Set<() => void>();

  /** Subscribes to a run's events; resolves once no event can be missed any more. */
  subscribe(runId: string, listener: Listener): { confirmed: Promise<void>; unsubscribe: () => void } {
    let sub = this.subs.get(runId);
    if (!sub) {
      let confirm!: () => void;
      const confirmed = new Promise<void>((resolve) => (confirm = resolve));
      sub = { runId, listeners: new Set(), confirmed, confirm };
      this.subs.set(runId, sub);
      if (this.ready) this.send({ type: "subscribe", runId });
    }
    sub.listeners.add(listener);
    this.connect();
    const current = sub;
    return {
      confirmed: current.confirmed,
      unsubscribe: () => {
        current.listeners.delete(listener);
        if (current.listeners.size === 0 && this.subs.get(runId) === current) {
          this.subs.delete(runId);
          if (this.ready) this.send({ type: "unsubscribe", runId });
        }
      },
    };
  }

  /** Joins a flow's shared document; `send` passes this editor's changes on. */
  joinFlow(flowId: string, handlers: FlowChannelHandlers): { send: (update: Uint8Array) => void; leave: () => void } {
    this.flows.set(flowId, handlers);
    if (this.ready) this.send({ type: "flow.join", flowId });
    this.connect();
    return {
      send: (update) => this.send({ type: "flow.update", flowId, update: toBase64(update) }),
      leave: () => {
        if (this.flows.get(flowId) !== handlers) return;
        this.flows.delete(flowId);
        if (this.ready) this.send({ type: "flow.leave", flowId });
      },
    };
  }

  private connect(): void {
    if (this.ws || this.retryTimer) return;
    const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/api/live`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: pageToken() }));
    ws.onmessage = (m) => this.receive(typeof m.data === "string" ? m.data : "");
    ws.onclose = () => this.closed(ws);
    ws.onerror = () => {}; // onclose follows and reconnects
  }

  private receive(text: string): void {
    let msg: { type?: string; runId?: string; event?: RunEvent; flowId?: string; update?: string; flow?: FlowInput } | undefined;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg?.type === "ready") {
      const reconnected = this.attempts > 0;
      this.ready = true;
      this.attempts = 0;
      for (const sub of this.subs.values()) this.send({ type: "subscribe", runId: sub.runId });
      for (const flowId of this.flows.keys()) this.send({ type: "flow.join", flowId });
      this.pingTimer = setInterval(() => this.send({ type: "ping" }), 25_000);
      if (reconnected) for (const f of this.onReconnect) f();
    } else if (msg?.type === "subscribed" && msg.runId) {
      this.subs.get(msg.runId)?.confirm();
    } else if (msg?.type === "event" && msg.runId && msg.event) {
      for (const listener of this.subs.get(msg.runId)?.listeners ?? []) listener(msg.event);
    } else if (msg?.flowId && this.flows.has(msg.flowId)) {
      const handlers = this.flows.get(msg.flowId)!;
      if (msg.type === "flow.state" && msg.update) handlers.state(fromBase64(msg.update));
      else if (msg.type === "flow.update" && msg.update) handlers.update(fromBase64(msg.update));
      else if (msg.type === "flow.saved" && msg.flow) handlers.saved(msg.flow);
    }
  }

  private closed(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.ws = undefined;
    this.ready = false;
    clearInterval(this.pingTimer);
    if (this.subs.size === 0 && this.flows.size === 0) return;
    const delay = RECONNECT_MS[Math.min(this.attempts, RECONNECT_MS.length - 1)];
    this.attempts++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
  }

  private send(msg: unknown): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }
}

/** The page's live connection. */
export const live = new LiveSocket();
