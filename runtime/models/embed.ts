/**
 * Embeddings with the one configured embedding model, in batches. No fallback to another
 * model (vectors of different models do not mix); a 429 is waited out and retried like a chat.
 */
import { KeelError, TransientError, ValidationError } from "../errors.ts";
import { sleep, withTimeout } from "./attempt.ts";
import type { CallScope, HubContext } from "./hub.ts";
import { estimateTokens } from "./local/text.ts";
import { ProviderFailure, type ModelProvider, type ProviderEmbedResponse } from "./provider.ts";
import { costOf, LOCAL_PROVIDER, priceOf } from "./settings.ts";
import type { EmbedRequest, EmbedResult } from "./types.ts";
import { MODEL_CALL } from "./usage.ts";

/** Embeds every text; one `model.call` trace for the whole request. */
export async function routeEmbed(hub: HubContext, req: EmbedRequest, scope: CallScope): Promise<EmbedResult> {
  if (!req || !Array.isArray(req.texts) || req.texts.some((t) => typeof t !== "string")) throw new ValidationError("embed needs { texts: string[] }");
  const signal = AbortSignal.any([req.signal, scope.signal].filter((s): s is AbortSignal => Boolean(s)));
  const { provider: name, model, batchSize } = hub.settings.embedding;
  const provider = hub.provider(name);
  const trace = scope.trace ?? (() => {});
  const started = performance.now();
  const vectors: Float32Array[] = [];
  let reportedTokens = 0;
  let estimated = false;
  for (let i = 0; i < req.texts.length; i += batchSize) {
    const batch = req.texts.slice(i, i + batchSize);
    const res = await embedBatch(hub, provider, model, batch, signal, trace);
    if (typeof res.inputTokens === "number") reportedTokens += res.inputTokens;
    else {
      estimated = true;
      reportedTokens += batch.reduce((n, t) => n + estimateTokens(t), 0);
    }
    vectors.push(...res.vectors);
  }
  const dim = vectors[0]?.length ?? 0;
  if (vectors.some((v) => v.length !== dim)) throw new KeelError("NODE_FAILED", `${name}/${model} returned vectors of different lengths`);
  const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
  const costUsd = name === LOCAL_PROVIDER ? 0 : costOf(priceOf(hub.settings, name, model), reportedTokens, 0);
  if (req.texts.length) {
    trace(MODEL_CALL, {
      operation: "embed", provider: name, providerType: provider.type, model, texts: req.texts.length, batches: Math.ceil(req.texts.length / batchSize),
      inputTokens: reportedTokens, outputTokens: 0, tokensEstimated: estimated, latencyMs, costUsd, cached: false,
    });
  }
  return { vectors, dim, provider: name, model, usage: { inputTokens: reportedTokens, outputTokens: 0, estimated }, costUsd, latencyMs };
}

async function embedBatch(hub: HubContext, provider: ModelProvider, model: string, texts: string[], signal: AbortSignal, trace: (k: string, d: Record<string, unknown>) => void): Promise<ProviderEmbedResponse> {
  const timeoutMs = hub.settings.providers[provider.name]?.timeoutMs ?? hub.settings.timeoutMs;
  for (let retries = 0; ; retries++) {
    try {
      const res = await withTimeout(provider.name, timeoutMs, signal, (s) => provider.embed({ model, texts, signal: s }));
      if (res.vectors.length !== texts.length) throw new ProviderFailure(provider.name, "server", `asked for ${texts.length} embeddings, got ${res.vectors.length}`);
      return res;
    } catch (e) {
      if (!(e instanceof ProviderFailure) || !e.retryable) throw e;
      const retry = e.kind === "rate_limit" && retries < hub.settings.rateLimit.retries;
      const waitMs = Math.min(e.retryAfterMs ?? 250 * 2 ** retries, hub.settings.rateLimit.maxDelayMs);
      trace("model.attempt.failed", { operation: "embed", provider: provider.name, model, kind: e.kind, ...(e.status ? { status: e.status } : {}), error: e.message, next: retry ? "retry" : "none" });
      if (!retry) throw new TransientError(`embedding with ${provider.name}/${model} failed: ${e.message}`, { cause: e, details: e.details });
      await sleep(waitMs, signal);
    }
  }
}
