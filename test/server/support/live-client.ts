/** A test client of `/api/live`. */
import WebSocket from "ws";

/** A socket with a queue of the messages it received and a promise of how it closed. */
export function connectLive(options: { url: string; protocols?: string[]; headers?: Record<string, string> }) {
  const ws = new WebSocket(options.url, options.protocols ?? [], { headers: options.headers });
  const messages: any[] = [];
  const waiters: Array<() => void> = [];
  ws.on("message", (data) => {
    messages.push(JSON.parse(String(data)));
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })));
  const failed = new Promise<{ status?: number }>((resolve) => {
    ws.on("unexpected-response", (_req, res) => resolve({ status: res.statusCode }));
    ws.on("error", () => resolve({}));
  });
  const opened = new Promise<void>((resolve) => ws.on("open", () => resolve()));
  /** Resolves with the first message (from the start) that matches, waiting up to 5 s. */
  const next = async (match: (m: any) => boolean): Promise<any> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const hit = messages.find(match);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(messages).slice(0, 500)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  };
  const send = (m: unknown) => ws.send(JSON.stringify(m));
  return { ws, messages, closed, failed, opened, next, send };
}
