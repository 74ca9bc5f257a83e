/** A model hub over given settings with a trace recorder, for provider tests. */
import { MemoryResponseCache, type ResponseCache } from "../../runtime/models/cache.ts";
import { ModelHub, type CallScope } from "../../runtime/models/hub.ts";
import { parseModelSettings, type ModelSettingsInput } from "../../runtime/models/settings.ts";
import type { ModelSpend } from "../../runtime/models/types.ts";
import { addModelCall, MODEL_CALL, spendOf, type RunUsage } from "../../runtime/models/usage.ts";

/** One recorded trace event. */
export interface Trace {
  kind: string;
  data: Record<string, any>;
}

/** A hub, the traces its calls wrote, and a scope that folds them into usage like a run does. */
export function hubFixture(settings: ModelSettingsInput, options: { cache?: ResponseCache; env?: Record<string, string>; budget?: CallScope["budget"] } = {}) {
  const parsed = parseModelSettings(settings, "test settings");
  const hub = new ModelHub({ settings: () => parsed, cache: options.cache ?? new MemoryResponseCache(), env: (n) => options.env?.[n] });
  const traces: Trace[] = [];
  let usage: RunUsage | undefined;
  const scope: CallScope = {
    trace(kind, data) {
      traces.push({ kind, data });
      if (kind === MODEL_CALL) usage = addModelCall(usage, "node", data);
    },
    budget: options.budget,
    spent: (): ModelSpend => spendOf(usage),
  };
  return { hub, traces, scope, usage: () => usage, kinds: () => traces.map((t) => t.kind) };
}

/** A user message. */
export function ask(content: string) {
  return [{ role: "user" as const, content }];
}
