/**
 * The `openai` provider: any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server,
 * LM Studio...) through the `openai` client, with its own retries off (the router decides).
 */
import type OpenAI from "openai";
import type { ChatCompletionCreateParams } from "openai/resources/chat/completions";
import type { ProviderSettings } from "./settings.ts";
import { connectionFailure, failureForStatus, ProviderFailure, type ModelProvider, type ProviderChatResponse } from "./provider.ts";

type OpenAISettings = Extract<ProviderSettings, { type: "openai" }>;
type OpenAIClass = typeof OpenAI;

// loaded on first use: the SDK costs ~100 ms to import, and most runs never call it
let sdk: Promise<OpenAIClass> | undefined;
const loadSdk = () => (sdk ??= import("openai").then((m) => m.default));

/** An OpenAI-compatible provider; `apiKey` is asked for on each call (it may come from the vault). */
export function openaiProvider(name: string, settings: OpenAISettings, apiKey: () => Promise<string | undefined>): ModelProvider {
  const client = async (OpenAI: OpenAIClass) =>
    new OpenAI({
      apiKey: (await apiKey()) ?? "not-needed", // local servers (vLLM, llama.cpp) take any key
      baseURL: settings.baseURL,
      maxRetries: 0,
      timeout: 600_000, // the router's signal carries the real per-attempt timeout
      defaultHeaders: settings.headers,
    });
  const officialApi = /(^|\.)openai\.com$/.test(new URL(settings.baseURL).hostname);

  return {
    name,
    type: "openai",
    async chat(req) {
      const stream = Boolean(req.onText) || settings.stream;
      const body: ChatCompletionCreateParams = {
        model: req.model,
        messages: req.messages,
        ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
        // the official API wants max_completion_tokens for newer models; compatible servers know max_tokens
        ...(req.maxTokens === undefined ? {} : officialApi ? { max_completion_tokens: req.maxTokens } : { max_tokens: req.maxTokens }),
        ...(req.schema ? { response_format: { type: "json_schema", json_schema: { name: req.schemaName ?? "answer", schema: req.schema, strict: false } } } : {}),
        ...(req.logprobs ? { logprobs: true } : {}),
      };
      const OpenAI = await loadSdk();
      try {
        const c = await client(OpenAI);
        if (!stream) {
          const res = await c.chat.completions.create({ ...body, stream: false }, { signal: req.signal });
          const choice = res.choices?.[0];
          if (!choice) throw new ProviderFailure(name, "server", "the answer has no choices");
          return {
            text: choice.message?.content ?? "",
            inputTokens: res.usage?.prompt_tokens,
            outputTokens: res.usage?.completion_tokens,
            confidence: confidenceOf(choice.logprobs?.content),
          };
        }
        const chunks = await c.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal: req.signal });
        let text = "";
        const logprobs: Array<{ logprob: number }> = [];
        const out: ProviderChatResponse = { text: "" };
        for await (const chunk of chunks) {
          const choice = chunk.choices?.[0];
          const delta = choice?.delta?.content;
          if (delta) {
            text += delta;
            req.onText?.(delta);
          }
          if (choice?.logprobs?.content) logprobs.push(...choice.logprobs.content);
          if (chunk.usage) {
            out.inputTokens = chunk.usage.prompt_tokens;
            out.outputTokens = chunk.usage.completion_tokens;
          }
        }
        out.text = text;
        out.confidence = confidenceOf(logprobs);
        return out;
      } catch (e) {
        throw normalize(name, e, OpenAI);
      }
    },
    async embed(req) {
      const OpenAI = await loadSdk();
      try {
        const res = await (await client(OpenAI)).embeddings.create({ model: req.model, input: req.texts, encoding_format: "float" }, { signal: req.signal });
        const data = [...res.data].sort((a, b) => a.index - b.index);
        if (data.length !== req.texts.length) throw new ProviderFailure(name, "server", `asked for ${req.texts.length} embeddings, got ${data.length}`);
        return { vectors: data.map((d) => Float32Array.from(d.embedding)), inputTokens: res.usage?.prompt_tokens };
      } catch (e) {
        throw normalize(name, e, OpenAI);
      }
    },
  };
}

/** exp(mean log-probability) of the answer's tokens: how sure the model was, 0..1. */
function confidenceOf(tokens: ReadonlyArray<{ logprob: number }> | null | undefined): number | undefined {
  if (!tokens?.length) return undefined;
  const mean = tokens.reduce((s, t) => s + t.logprob, 0) / tokens.length;
  return Math.round(Math.exp(mean) * 1000) / 1000;
}

function normalize(name: string, e: unknown, OpenAI: OpenAIClass): unknown {
  if (e instanceof ProviderFailure) return e;
  if (e instanceof OpenAI.APIUserAbortError || (e as Error)?.name === "AbortError") return e; // the router knows why
  if (e instanceof OpenAI.APIConnectionError) return connectionFailure(name, e);
  if (e instanceof OpenAI.APIError && typeof e.status === "number") {
    return failureForStatus(name, e.status, e.message, e.headers?.get("retry-after"), e);
  }
  if (e instanceof SyntaxError) return new ProviderFailure(name, "server", `the answer is not valid JSON: ${e.message}`, { cause: e });
  return e;
}
