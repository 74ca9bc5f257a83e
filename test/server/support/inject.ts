/**
 * Calls an express app in memory, without a socket: a real http.IncomingMessage carries the
 * request in, a real http.ServerResponse (whose write/end we capture) carries the answer out.
 * Small on purpose: enough for JSON APIs and static files.
 */
import http from "node:http";
import net from "node:net";

/** A request to inject. */
export interface InjectRequest {
  method?: string;
  url: string;
  headers?: Record<string, string | undefined>;
  /** An object is sent as JSON (with its Content-Type); a string or Buffer as is. */
  body?: unknown;
}

/** What came back. */
export interface InjectResponse {
  status: number;
  headers: http.OutgoingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Sends one request through `app` and resolves with its response. */
export function inject(app: Handler, request: InjectRequest): Promise<InjectResponse> {
  const socket = new net.Socket(); // never connected: nothing leaves the process
  const req = new http.IncomingMessage(socket);
  req.method = (request.method ?? "GET").toUpperCase();
  req.url = request.url;
  req.httpVersion = "1.1";
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  let payload: Buffer | undefined;
  const headers: Record<string, string> = {};
  if (request.body !== undefined) {
    if (Buffer.isBuffer(request.body)) payload = request.body;
    else if (typeof request.body === "string") payload = Buffer.from(request.body);
    else {
      payload = Buffer.from(JSON.stringify(request.body));
      headers["content-type"] = "application/json";
    }
    headers["content-length"] = String(payload.length);
  }
  for (const [k, v] of Object.entries(request.headers ?? {})) {
    if (v === undefined) delete headers[k.toLowerCase()];
    else headers[k.toLowerCase()] = v;
  }
  req.headers = headers;
  req.rawHeaders = Object.entries(headers).flat();
  if (payload?.length) req.push(payload);
  req.push(null);

  const res = new http.ServerResponse(req);
  const chunks: Buffer[] = [];
  const toBuffer = (chunk: unknown, encoding?: unknown): Buffer | undefined => {
    if (chunk === undefined || chunk === null || typeof chunk === "function") return undefined;
    if (Buffer.isBuffer(chunk)) return chunk;
    if (chunk instanceof Uint8Array) return Buffer.from(chunk);
    return Buffer.from(String(chunk), typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
  };
  return new Promise((resolve) => {
    let done = false;
    // Own properties: they survive express swapping the response's prototype.
    Object.assign(res, {
      write(chunk: unknown, encoding?: unknown, cb?: unknown) {
        const b = toBuffer(chunk, encoding);
        if (b) chunks.push(b);
        const callback = typeof encoding === "function" ? encoding : cb;
        if (typeof callback === "function") queueMicrotask(() => (callback as () => void)());
        return true;
      },
      end(chunk?: unknown, encoding?: unknown, cb?: unknown) {
        if (done) return res;
        done = true;
        const b = toBuffer(chunk, encoding);
        if (b) chunks.push(b);
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        Object.defineProperty(res, "writableEnded", { value: true, configurable: true });
        Object.defineProperty(res, "finished", { value: true, configurable: true });
        resolve({ status: res.statusCode, headers: res.getHeaders(), text, json });
        const callback = [chunk, encoding, cb].find((x) => typeof x === "function");
        queueMicrotask(() => {
          res.emit("finish");
          res.emit("close");
          if (typeof callback === "function") (callback as () => void)();
        });
        return res;
      },
    });
    (app as Handler)(req, res);
  });
}
