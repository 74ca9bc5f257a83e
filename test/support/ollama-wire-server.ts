/**
 * A real HTTP server on 127.0.0.1 speaking the Ollama wire format (`/api/chat`, streamed as
 * NDJSON or not, and `/api/embed`), scripted like the OpenAI one.
 */
import { fakeVector, json, pieces, startScriptedServer, type WireServer } from "./openai-wire-server.ts";

/** Starts an Ollama-compatible server; `defaultReply` answers unscripted chats. */
export async function startOllamaWireServer(options: { defaultReply?: (body: any) => string } = {}): Promise<WireServer> {
  const defaultReply = options.defaultReply ?? (() => "Hello from the Ollama wire server.");
  return startScriptedServer({
    "/api/chat": (req, step, res) => {
      const body = req.body;
      const content = step?.reply ?? defaultReply(body);
      const counts = { prompt_eval_count: step?.promptTokens ?? 13, eval_count: step?.completionTokens ?? 5 };
      const done = { model: body.model, created_at: new Date(0).toISOString(), done: true, done_reason: "stop", total_duration: 1000, load_duration: 10, prompt_eval_duration: 100, eval_duration: 200, ...(step?.noUsage ? {} : counts) };
      if (body.stream === false) return json(res, 200, { ...done, message: { role: "assistant", content } });
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      for (const p of pieces(content)) res.write(`${JSON.stringify({ model: body.model, created_at: new Date(0).toISOString(), message: { role: "assistant", content: p }, done: false })}\n`);
      res.end(`${JSON.stringify({ ...done, message: { role: "assistant", content: "" } })}\n`);
    },
    "/api/embed": (req, step, res) => {
      const input: string[] = Array.isArray(req.body.input) ? req.body.input : [req.body.input];
      json(res, 200, { model: req.body.model, embeddings: input.map((t) => fakeVector(t)), total_duration: 1000, load_duration: 10, prompt_eval_count: step?.promptTokens ?? input.length * 4 });
    },
  });
}
