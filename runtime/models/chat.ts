/**
 * Chat routing: the tier's providers in order; a 429 waits and retries the same provider, other
 * retryable failures (5xx, timeout, refused) move to the next; when the tier is exhausted (or
 * the budget forbids it) the next smaller tier answers if the caller allows. Every attempt,
 * skip and degradation is a trace event; every answer a `model.call` with tokens and cost.
 */
import { KeelError, TransientError, ValidationError } from "../errors.ts";
import { sleep, throwIfAborted, withTimeout } from "./attempt.ts";
import { cacheKey } from "./cache.ts";
import type { CallScope, HubContext } from "./hub.ts";
import { estimateTokens } from "./local/text.ts";
import { ProviderFailure, type ModelProvider, type ProviderChatResponse } from "./provider.ts";
import { costOf, LOCAL_PROVIDER, priceOf } from "./settings.ts";
import { checkAnswer, compileSchema } from "./structured.ts";
import { TIERS, type ChatMessage, type ChatRequest, type ChatResult, type Tier } from "./types.ts";
import { MODEL_CALL, roundUsd } from "./usage.ts";

interface Candidate {
  provider: string;
  model: string;
  tier?: Tier;
}

/** Answers a chat request; see the file comment for the order of things. */
export async function routeChat(hub: HubContext, req: ChatRequest, scope: CallScope): Promise<ChatResult> {
  checkRequest(req);
  const signal = AbortSignal.any([req.signal, scope.signal].filter((s): s is AbortSignal => Boolean(s)));
  const schema = req.schema ? compileSchema(req.schema, "the request's schema") : undefined;
  const trace = scope.trace ?? (() => {});
  const requested = req.model ? undefined : (req.tier ?? "mid");
  const plan = planOf(hub, req, requested);
  const failures: string[] = [];
  let budgetSkips = 0;
  let attempt = 0;
  let lastReason = "";

  for (let ti = 0; ti < plan.length; ti++) {
    const { tier, candidates } = plan[ti];
    if (ti > 0) trace("model.degraded", { from: requested, to: tier, reason: lastReason });
    for (const c of candidates) {
      throwIfAborted(signal);
      const provider = hub.provider(c.provider);
      const price = priceOf(hub.settings, c.provider, c.model);
      const base = { provider: c.provider, providerType: provider.type, model: c.model, ...(c.tier ? { tier: c.tier } : {}), ...(requested ? { requestedTier: requested } : {}) };
      const degradedFrom = requested && c.tier !== requested ? requested : undefined;
      const key = hub.cache && req.cache !== false && provider.type !== "local" ? keyOf(hub, req, c) : undefined;
      if (key) {
        const hit = await hub.cache!.get(key).catch(() => undefined);
        if (hit && hub.now() - hit.createdAt <= hub.settings.cache.ttlDays * 86_400_000) {
          req.onText?.(hit.text);
          trace(MODEL_CALL, { operation: "chat", ...base, inputTokens: 0, outputTokens: 0, latencyMs: 0, costUsd: 0, cached: true, savedUsd: hit.costUsd, ...(degradedFrom ? { degradedFrom } : {}) });
          return { text: hit.text, ...(hit.value === undefined ? {} : { value: hit.value }), ...(hit.confidence === undefined ? {} : { confidence: hit.confidence }), provider: c.provider, model: c.model, ...(c.tier ? { tier: c.tier } : {}), ...(degradedFrom ? { degradedFrom } : {}), usage: { inputTokens: 0, outputTokens: 0, estimated: false }, costUsd: 0, cached: true, latencyMs: 0 };
        }
      }
      // after the cache: a cached answer is free whatever the budget
      const over = overBudget(hub, scope, req, c, price);
      if (over) {
        budgetSkips++;
        lastReason = "budget";
        trace("model.budget", { provider: c.provider, model: c.model, tier: c.tier, ...over });
        continue;
      }
      let rateRetries = 0;
      let messages = req.messages;
      let repaired = false;
      for (;;) {
        attempt++;
        const started = performance.now();
        try {
          const answer = await withTimeout(c.provider, timeoutOf(hub, c.provider), signal, (s) =>
            provider.chat({ model: c.model, messages, temperature: req.temperature, maxTokens: req.maxTokens, schema: req.schema, schemaName: req.schemaName, intent: req.intent, signal: s, onText: req.onText, logprobs: req.logprobs }),
          );
          const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
          const usage = usageOf(messages, answer);
          const costUsd = c.provider === LOCAL_PROVIDER ? 0 : costOf(price, usage.inputTokens, usage.outputTokens);
          const checked = schema ? checkAnswer(schema, answer) : undefined;
          trace(MODEL_CALL, {
            operation: "chat", ...base, attempt, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, tokensEstimated: usage.estimated,
            latencyMs, costUsd, cached: false, priced: Boolean(price) || c.provider === LOCAL_PROVIDER,
            ...(checked && !checked.ok ? { valid: false } : {}), ...(repaired ? { repair: true } : {}), ...(degradedFrom ? { degradedFrom } : {}),
            ...(answer.confidence === undefined ? {} : { confidence: answer.confidence }),
          });
          if (checked && !checked.ok) {
            trace("model.output.invalid", { provider: c.provider, model: c.model, error: checked.error, retry: !repaired && provider.type !== "local" });
            if (repaired || provider.type === "local") throw invalidOutput(c, checked.error, repaired);
            messages = repairMessages(req.messages, answer.text, checked.error);
            repaired = true;
            continue;
          }
          const result: ChatResult = {
            text: answer.text, ...(checked?.ok ? { value: checked.value } : {}), ...(answer.confidence === undefined ? {} : { confidence: answer.confidence }),
            provider: c.provider, model: c.model, ...(c.tier ? { tier: c.tier } : {}), ...(degradedFrom ? { degradedFrom } : {}),
            usage, costUsd, cached: false, latencyMs,
          };
          if (key) await hub.cache!.set(key, { text: result.text, value: result.value, confidence: result.confidence, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, estimated: usage.estimated, costUsd, createdAt: hub.now() }).catch(() => {});
          return result;
        } catch (e) {
          throwIfAborted(signal);
          if (!(e instanceof ProviderFailure) || !e.retryable) throw e;
          const retry = e.kind === "rate_limit" && rateRetries < hub.settings.rateLimit.retries;
          const waitMs = retry ? Math.min(e.retryAfterMs ?? 250 * 2 ** rateRetries, hub.settings.rateLimit.maxDelayMs) : 0;
          trace("model.attempt.failed", {
            ...base, attempt, kind: e.kind, ...(e.status === undefined ? {} : { status: e.status }), error: e.message,
            latencyMs: Math.round((performance.now() - started) * 1000) / 1000, next: retry ? "retry" : "fallback", ...(retry ? { waitMs } : {}),
          });
          if (retry) {
            rateRetries++;
            await sleep(waitMs, signal);
            continue;
          }
          failures.push(`${c.provider}/${c.model}: ${e.kind}${e.status ? ` ${e.status}` : ""}`);
          lastReason = e.kind;
          break;
        }
      }
    }
  }
  const asked = requested ? `tier "${requested}"` : `model "${req.model}"`;
  if (failures.length === 0 && budgetSkips > 0) {
    const b = scope.budget ?? {};
    const spent = scope.spent?.() ?? { costUsd: 0, tokens: 0 };
    throw new KeelError("BUDGET", `the flow's model budget would be exceeded by ${asked}${req.degrade === false ? " (and this call may not fall back to a smaller tier)" : " and every smaller tier"}: spent $${spent.costUsd} and ${spent.tokens} tokens of ${limits(b)}`, {
      retryable: false,
      details: { budget: b, spent },
    });
  }
  throw new TransientError(`every model for ${asked} failed${budgetSkips ? ` or was over budget` : ""}: ${failures.join("; ")}`, { details: { failures } });
}

function checkRequest(req: ChatRequest): void {
  if (!req || !Array.isArray(req.messages) || req.messages.length === 0) throw new ValidationError("a chat needs at least one message");
  for (const [i, m] of req.messages.entries()) {
    if (!m || !["system", "user", "assistant"].includes(m.role) || typeof m.content !== "string") {
      throw new ValidationError(`chat message ${i} must be { role: "system" | "user" | "assistant", content: string }`);
    }
  }
  if (req.tier !== undefined && !TIERS.includes(req.tier)) throw new ValidationError(`tier must be one of ${TIERS.join(", ")}, not "${String(req.tier)}"`);
}

/** The tiers to try, in order, each with its providers. */
function planOf(hub: HubContext, req: ChatRequest, requested: Tier | undefined): Array<{ tier?: Tier; candidates: Candidate[] }> {
  if (req.model) {
    const slash = req.model.indexOf("/");
    if (slash <= 0) throw new ValidationError(`model must be "provider/model" (e.g. "openai/gpt-4o-mini"), not "${req.model}"`);
    const provider = req.model.slice(0, slash);
    hub.provider(provider); // unknown provider: a clear error now
    return [{ candidates: [{ provider, model: req.model.slice(slash + 1) }] }];
  }
  const from = TIERS.indexOf(requested!);
  const tiers = req.degrade === false ? [requested!] : TIERS.slice(0, from + 1).reverse();
  return tiers.map((tier) => ({ tier, candidates: hub.settings.tiers[tier].map((r) => ({ ...r, tier })) }));
}

function timeoutOf(hub: HubContext, provider: string): number {
  return hub.settings.providers[provider]?.timeoutMs ?? hub.settings.timeoutMs;
}

function keyOf(hub: HubContext, req: ChatRequest, c: Candidate): string {
  return cacheKey({ provider: c.provider, endpoint: hub.endpoint(c.provider), model: c.model, messages: req.messages, temperature: req.temperature, maxTokens: req.maxTokens, schema: req.schema, logprobs: req.logprobs });
}

/** The budget check before a call: the estimate of this call on top of what the run spent. */
function overBudget(hub: HubContext, scope: CallScope, req: ChatRequest, c: Candidate, price: ReturnType<typeof priceOf>) {
  const b = scope.budget;
  if (!b || c.provider === LOCAL_PROVIDER || (b.maxCostUsd === undefined && b.maxTokens === undefined)) return undefined;
  const spent = scope.spent?.() ?? { costUsd: 0, tokens: 0 };
  const inputTokens = req.messages.reduce((n, m) => n + estimateTokens(m.content), 0) + (req.schema ? estimateTokens(JSON.stringify(req.schema)) : 0);
  const outputTokens = req.maxTokens ?? hub.settings.budgetOutputTokens;
  const estimateUsd = costOf(price, inputTokens, outputTokens);
  const overCost = b.maxCostUsd !== undefined && spent.costUsd + estimateUsd > b.maxCostUsd;
  const overTokens = b.maxTokens !== undefined && spent.tokens + inputTokens + outputTokens > b.maxTokens;
  if (!overCost && !overTokens) return undefined;
  return { estimateUsd, estimateTokens: inputTokens + outputTokens, spentUsd: roundUsd(spent.costUsd), spentTokens: spent.tokens, budget: b };
}

function usageOf(messages: ChatMessage[], answer: ProviderChatResponse): ChatResult["usage"] {
  const reported = typeof answer.inputTokens === "number" && typeof answer.outputTokens === "number";
  return {
    inputTokens: reported ? answer.inputTokens! : messages.reduce((n, m) => n + estimateTokens(m.content), 0),
    outputTokens: reported ? answer.outputTokens! : estimateTokens(answer.text),
    estimated: !reported,
  };
}

function repairMessages(messages: ChatMessage[], badText: string, error: string): ChatMessage[] {
  return [
    ...messages,
    { role: "assistant", content: badText },
    { role: "user", content: `That answer cannot be used: ${error}. Reply again with only a JSON value that matches the requested schema, and nothing else.` },
  ];
}

function invalidOutput(c: Candidate, error: string, retried: boolean): KeelError {
  return new KeelError("NODE_FAILED", `${c.provider}/${c.model} gave no usable structured answer${retried ? " (also after being told what was wrong)" : ""}: ${error}`, {
    retryable: false,
    details: { provider: c.provider, model: c.model, error },
  });
}

function limits(b: { maxCostUsd?: number; maxTokens?: number }): string {
  return [b.maxCostUsd === undefined ? "" : `$${b.maxCostUsd}`, b.maxTokens === undefined ? "" : `${b.maxTokens} tokens`].filter(Boolean).join(" / ");
}
