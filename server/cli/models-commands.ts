/** `keel models check`, `keel models ask`, `keel models usage`. */
import type { Command } from "commander";
import { ValidationError } from "../../runtime/errors.ts";
import { TIERS, type Tier } from "../../runtime/models/types.ts";
import { sumUsage, type UsageTotals } from "../../runtime/models/usage.ts";
import { foldEvents } from "../../runtime/state.ts";
import { settingsFileOf } from "../../storage/models/settings-file.ts";
import { openKeel, type Keel } from "../keel.ts";
import { command, dataDirOf, printJson } from "./common.ts";

/** Model usage of one flow over its recent runs. */
export interface FlowUsage extends UsageTotals {
  flowId: string;
  runs: number;
}

/** Rolls up model usage per flow over the newest `limit` runs (of one flow, or of all). */
export async function flowUsage(keel: Keel, options: { flowId?: string; limit: number }): Promise<FlowUsage[]> {
  const perFlow = new Map<string, { runs: number; totals: UsageTotals[] }>();
  let cursor: string | undefined;
  let seen = 0;
  do {
    const page = await keel.index.list({ flowId: options.flowId, limit: Math.min(200, options.limit - seen), cursor });
    for (const run of page.items) {
      seen++;
      const entry = perFlow.get(run.flowId) ?? { runs: 0, totals: [] };
      perFlow.set(run.flowId, entry);
      entry.runs++;
      try {
        const usage = foldEvents(run.id, (await keel.store.read(run.id)).events).usage;
        if (usage) entry.totals.push(usage);
      } catch {
        // a run whose log cannot be read adds nothing; `keel show` reports it
      }
    }
    cursor = page.nextCursor;
  } while (cursor && seen < options.limit);
  return [...perFlow].map(([flowId, e]) => ({ flowId, runs: e.runs, ...sumUsage(e.totals) })).sort((a, b) => b.costUsd - a.costUsd || a.flowId.localeCompare(b.flowId));
}

export function registerModelsCommands(program: Command): void {
  const models = program.command("models").description("model settings, a test call, and what flows spent on models");

  models
    .command("check")
    .description("validate the models section of <data>/settings.json and print the tiers in force")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .action(
      command(async (opts: { data?: string }) => {
        const keel = openKeel({ dataDir: dataDirOf(opts) });
        try {
          const s = keel.models.settings();
          const providers = Object.fromEntries(Object.entries(s.providers).map(([name, p]) => [name, p.type === "openai" ? { type: p.type, baseURL: p.baseURL, apiKey: p.apiKey ?? null } : { type: p.type, host: p.host }]));
          printJson({ file: settingsFileOf(keel.dataDir), tiers: s.tiers, embedding: s.embedding, providers, prices: Object.keys(s.prices).length, cache: s.cache });
        } finally {
          await keel.close();
        }
      }),
    );

  models
    .command("ask")
    .description("send one prompt through a tier (or provider/model) and print the answer with its cost")
    .argument("<prompt>", "the prompt")
    .option("--tier <tier>", `one of ${TIERS.join(", ")}`, "mid")
    .option("--model <provider/model>", "an explicit model instead of a tier")
    .option("--no-cache", "do not answer from the cache")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .action(
      command(async (prompt: string, opts: { tier: string; model?: string; cache: boolean; data?: string }) => {
        if (!TIERS.includes(opts.tier as Tier)) throw new ValidationError(`--tier must be one of ${TIERS.join(", ")}`);
        const keel = openKeel({ dataDir: dataDirOf(opts) });
        try {
          const trace: Array<{ kind: string; data: Record<string, unknown> }> = [];
          const r = await keel.models.chat(
            { messages: [{ role: "user", content: prompt }], ...(opts.model ? { model: opts.model } : { tier: opts.tier as Tier }), cache: opts.cache },
            { trace: (kind, data) => trace.push({ kind, data }), credential: async (name) => Promise.reject(new ValidationError(`credential "${name}": use an env variable for keel models ask`)) },
          );
          printJson({ ...r, trace });
        } finally {
          await keel.close();
        }
      }),
    );

  models
    .command("usage")
    .description("model calls, tokens, cost and cache hits per flow over recent runs, one JSON line per flow (costliest first)")
    .option("--flow <id>", "only this flow")
    .option("--limit <n>", "look at the newest n runs", "1000")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .action(
      command(async (opts: { flow?: string; limit: string; data?: string }) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new ValidationError("--limit must be a positive integer");
        const keel = openKeel({ dataDir: dataDirOf(opts) });
        try {
          for (const line of await flowUsage(keel, { flowId: opts.flow, limit })) printJson(line);
        } finally {
          await keel.close();
        }
      }),
    );
}
