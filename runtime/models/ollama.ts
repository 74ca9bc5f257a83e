/**
 * The `ollama` provider, through the `ollama` client. Each call gets a client whose fetch
 * carries the call's signal (the client takes none per request), and error bodies are made
 * JSON before the client reads them (it would print non-JSON ones to stdout).
 */
import type { Ollama } from "ollama";
import type { ProviderSettings } from "./settings.ts";
import { connectionFailure, failureForStatus, ProviderFailure, type ModelProvider } from "./provider.ts";

type OllamaSettings = Extract<ProviderSettings, { type: "ollama" }>;

// loaded on first use, like the OpenAI SDK
let sdk: Promise<typeof Ollama> | undefined;
const loadSdk = () => (sdk ??= import("ollama").then((m) => m.Ollama));

/** An Ollama host as a provider. */
export function ollamaProvider(name: string, settings: OllamaSettings): ModelProvider {
  const client = async (signal: AbortSignal) =>
    new (await loadSdk())({
      host: settings.host,
      headers: settings.headers,
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        let res: Response;
        try {
          res = await fetch(input, { ...init, signal });
        } catch (e) {
          if (signal.aborted) throw e;
          throw connectionFailure(name, e);
        }
        if (res.ok) return res;
        // answer the error ourselves: status and Retry-After are what the router needs
        const text = await res.text().catch(() => "");
        throw failureForStatus(name, res.status, errorText(text) || res.statusText, res.headers.get("retry-after"));
      },
    });

  return {
    name,
    type: "ollama",
    async chat(req) {
      const options = {
        ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
        ...(req.maxTokens === undefined ? {} : { num_predict: req.maxTokens }),
      };
      const base = { model: req.model, messages: req.messages, options, ...(req.schema ? { format: req.schema } : {}) };
      try {
        const c = await client(req.signal);
        if (!req.onText) {
          const res = await c.chat({ ...base, stream: false });
          return { text: res.message?.content ?? "", inputTokens: res.prompt_eval_count, outputTokens: res.eval_count };
        }
        let text = "";
        let inputTokens: number | undefined;
        let outputTokens: number | undefined;
        for await (const part of await c.chat({ ...base, stream: true })) {
          const delta = part.message?.content;
          if (delta) {
            text += delta;
            req.onText(delta);
          }
          if (part.done) {
            inputTokens = part.prompt_eval_count;
            outputTokens = part.eval_count;
          }
        }
        return { text, inputTokens, outputTokens };
      } catch (e) {
        throw normalize(name, e);
      }
    },
    async embed(req) {
      try {
        const res = await (await client(req.signal)).embed({ model: req.model, input: req.texts });
        if (res.embeddings?.length !== req.texts.length) {
          throw new ProviderFailure(name, "server", `asked for ${req.texts.length} embeddings, got ${res.embeddings?.length ?? 0}`);
        }
        return { vectors: res.embeddings.map((v) => Float32Array.from(v)), inputTokens: res.prompt_eval_count };
      } catch (e) {
        throw normalize(name, e);
      }
    },
  };
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === "string") return parsed.error;
  } catch {
    /* not JSON: use the text */
  }
  return body.slice(0, 300);
}

function normalize(name: string, e: unknown): unknown {
  if (e instanceof ProviderFailure || (e as Error)?.name === "AbortError") return e;
  const status = (e as { status_code?: unknown }).status_code;
  if (typeof status === "number") return failureForStatus(name, status, (e as Error).message, null, e);
  if (e instanceof SyntaxError) return new ProviderFailure(name, "server", `the answer is not valid JSON: ${e.message}`, { cause: e });
  // the stream reports an error mid-way as a plain Error
  if (e instanceof Error && e.message && !(e instanceof TypeError)) return new ProviderFailure(name, "server", e.message, { cause: e });
  return e;
}
