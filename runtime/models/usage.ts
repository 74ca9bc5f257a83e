/**
 * Model usage rolled up from a run's `model.call` trace events, per node and per run. The run
 * state folds these (runtime/state.ts), so a resumed run knows what it already spent.
 */
import type { ModelSpend } from "./types.ts";

/** The trace kind of one finished model call (a cache hit included). */
export const MODEL_CALL = "model.call";

/** Sums over model calls. Cache hits cost nothing and count no tokens. */
export interface UsageTotals {
  calls: number;
  cacheHits: number;
  inputTokens: number;
  outputTokens: number;
  /** Tokens of calls to remote providers: what a flow's `budget.maxTokens` counts. */
  billedTokens: number;
  costUsd: number;
  latencyMs: number;
}

/** A run's model usage: its totals and each node's. */
export interface RunUsage extends UsageTotals {
  nodes: Record<string, UsageTotals>;
}

/** The `data` of a `model.call` trace event, as far as the roll-up reads it. */
export interface ModelCallData {
  provider?: unknown;
  inputTokens?: unknown;
  outputTokens?: unknown;
  costUsd?: unknown;
  latencyMs?: unknown;
  cached?: unknown;
}

/** Zero usage. */
export function emptyUsage(): UsageTotals {
  return { calls: 0, cacheHits: 0, inputTokens: 0, outputTokens: 0, billedTokens: 0, costUsd: 0, latencyMs: 0 };
}

/** Adds one model call to a run's usage (creating it on the first call); returns the usage. */
export function addModelCall(usage: RunUsage | undefined, nodeId: string, data: ModelCallData): RunUsage {
  const run: RunUsage = usage ?? { ...emptyUsage(), nodes: {} };
  const node = (run.nodes[nodeId] ??= emptyUsage());
  addTo(run, data);
  addTo(node, data);
  return run;
}

function addTo(t: UsageTotals, d: ModelCallData): void {
  const cached = d.cached === true;
  const input = cached ? 0 : num(d.inputTokens);
  const output = cached ? 0 : num(d.outputTokens);
  t.calls++;
  if (cached) t.cacheHits++;
  t.inputTokens += input;
  t.outputTokens += output;
  if (d.provider !== "local") t.billedTokens += input + output;
  t.costUsd = roundUsd(t.costUsd + (cached ? 0 : num(d.costUsd)));
  t.latencyMs = Math.round((t.latencyMs + num(d.latencyMs)) * 1000) / 1000;
}

/** What a run's usage means for its budget. */
export function spendOf(usage: UsageTotals | undefined): ModelSpend {
  return { costUsd: usage?.costUsd ?? 0, tokens: usage?.billedTokens ?? 0 };
}

/** Sums several totals (e.g. every run of a flow). */
export function sumUsage(all: Iterable<UsageTotals>): UsageTotals {
  const t = emptyUsage();
  for (const u of all) {
    t.calls += u.calls;
    t.cacheHits += u.cacheHits;
    t.inputTokens += u.inputTokens;
    t.outputTokens += u.outputTokens;
    t.billedTokens += u.billedTokens;
    t.costUsd = roundUsd(t.costUsd + u.costUsd);
    t.latencyMs = Math.round((t.latencyMs + u.latencyMs) * 1000) / 1000;
  }
  return t;
}

/** Dollars to a millionth of a cent, so that sums of small prices stay exact in JSON. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e8) / 1e8;
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? v : 0;
}
