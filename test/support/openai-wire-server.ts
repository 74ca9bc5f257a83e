/**
 * A real HTTP server on 127.0.0.1 speaking the OpenAI wire format (`/v1/chat/completions`,
 * streaming included, and `/v1/embeddings`), for provider tests. Each route answers from a
 * script of steps (an error status, a hang, a raw body, a reply) and then with a default reply.
 * Also the scripting base of the Ollama wire server.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** What a scripted request gets. */
export type WireStep =
  | { reply: string; promptTokens?: number; completionTokens?: number; logprobs?: number[]; noUsage?: boolean }
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Never answers (until the server closes): for timeouts. */
  | { hang: true }
  /** Answers 200 with this body as is (e.g. a cut-off JSON). */
  | { raw: string; contentType?: string };

/** A request the server received. */
export interface ReceivedRequest {
  path: string;
  body: any;
  headers: http.IncomingHttpHeaders;
}

/** A running wire server. */
export interface WireServer {
  /** Base URL: `http://127.0.0.1:PORT/v1` for OpenAI, `http://127.0.0.1:PORT` for Ollama. */
  url: string;
  requests: ReceivedRequest[];
  /** Queues steps for a path (e.g. "/v1/chat/completions"); each request takes the next one. */
  script(path: string, ...steps: WireStep[]): void;
  close(): Promise<void>;
}

type Reply = Extract<WireStep, { reply: string }>;
type Handler = (req: ReceivedRequest, step: Reply | undefined, res: http.ServerResponse) => void;

/** Starts a scripted server with a handler per path (used by both wire servers). */
export async function startScriptedServer(handlers: Record<string, Handler>, urlSuffix = ""): Promise<WireServer> {
  const queues = new Map<string, WireStep[]>();
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0];
      let body: unknown = undefined;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
      } catch {
        body = Buffer.concat(chunks).toString("utf8");
      }
      const received = { path, body, headers: req.headers };
      requests.push(received);
      const handler = handlers[path];
      if (!handler) return json(res, 404, { error: { message: `no route ${path}` } });
      const step = queues.get(path)?.shift();
      if (step && "hang" in step) return; // left open; closeAllConnections ends it
      if (step && "status" in step) return json(res, step.status, step.body ?? { error: { message: `scripted ${step.status}` } }, step.headers);
      if (step && "raw" in step) {
        res.writeHead(200, { "content-type": step.contentType ?? "application/json" });
        return res.end(step.raw);
      }
      handler(received, step, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${urlSuffix}`,
    requests,
    script(path, ...steps) {
      queues.set(path, [...(queues.get(path) ?? []), ...steps]);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes a JSON response. */
export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A deterministic small vector for a text (what the fake embedding model returns). */
export function fakeVector(text: string, dim = 8): number[] {
  const v = new Array<number>(dim).fill(0);
  for (let i = 0; i < text.length; i++) v[(text.charCodeAt(i) + i) % dim] += 1;
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}

/** Splits a reply into a few stream pieces. */
export function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [text];
}

/** Starts an OpenAI-compatible server; `defaultReply` answers unscripted chats. */
export async function startOpenAIWireServer(options: { defaultReply?: (body: any) => string } = {}): Promise<WireServer> {
  const defaultReply = options.defaultReply ?? (() => "Hello from the OpenAI wire server.");
  return startScriptedServer(
    {
      "/v1/chat/completions": (req, step, res) => {
        const body = req.body;
        const content = step?.reply ?? defaultReply(body);
        const usage = {
          prompt_tokens: step?.promptTokens ?? 11,
          completion_tokens: step?.completionTokens ?? 7,
          total_tokens: (step?.promptTokens ?? 11) + (step?.completionTokens ?? 7),
        };
        const logprobs = step?.logprobs ? { content: step.logprobs.map((lp, i) => ({ token: `t${i}`, logprob: lp, bytes: null, top_logprobs: [] })), refusal: null } : null;
        const base = { id: "chatcmpl-test", created: 1_700_000_000, model: body.model };
        if (!body.stream) {
          return json(res, 200, {
            ...base,
            object: "chat.completion",
            choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop", logprobs }],
            ...(step?.noUsage ? {} : { usage }),
          });
        }
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        const send = (chunk: unknown) => res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        const parts = pieces(content);
        parts.forEach((p, i) =>
          send({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: i === 0 ? { role: "assistant", content: p } : { content: p }, finish_reason: null, logprobs: null }] }),
        );
        send({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "stop", logprobs: null }] });
        if (body.stream_options?.include_usage && !step?.noUsage) send({ ...base, object: "chat.completion.chunk", choices: [], usage });
        res.end("data: [DONE]\n\n");
      },
      "/v1/embeddings": (req, step, res) => {
        const input: string[] = Array.isArray(req.body.input) ? req.body.input : [req.body.input];
        json(res, 200, {
          object: "list",
          model: req.body.model,
          data: input.map((t, index) => ({ object: "embedding", index, embedding: fakeVector(t) })),
          usage: { prompt_tokens: step?.promptTokens ?? input.length * 3, total_tokens: step?.promptTokens ?? input.length * 3 },
        });
      },
    },
    "/v1",
  );
}
