import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../../runtime/schema/events.ts";
import { makeFlow, tempDir, testKeel } from "../support/keel.ts";
import { startOllamaWireServer } from "../support/ollama-wire-server.ts";
import { startOpenAIWireServer, type WireServer } from "../support/openai-wire-server.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

let openai: WireServer;
let ollama: WireServer;
beforeAll(async () => {
  [openai, ollama] = await Promise.all([startOpenAIWireServer(), startOllamaWireServer()]);
});
afterAll(async () => {
  await Promise.all([openai.close(), ollama.close()]);
});

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  openai.requests.length = 0;
  ollama.requests.length = 0;
});

/** A data folder with the given models settings, and a Keel open on it. */
function keelWith(models?: unknown, dataDir?: string) {
  const dir = dataDir ?? tempDir("keel-models-flow-").dir;
  if (models !== undefined) fs.writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ models }));
  const keel = testKeel({ dataDir: dir });
  cleanups.push(() => keel.close());
  if (!dataDir) cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return keel;
}

async function traces(keel: ReturnType<typeof testKeel>, runId: string) {
  const { events } = await keel.store.read(runId);
  return events.filter((e): e is Extract<RunEvent, { type: "node.trace" }> => e.type === "node.trace");
}

const remote = () => ({
  providers: {
    oa: { type: "openai", baseURL: openai.url, timeoutMs: 3000 },
    ol: { type: "ollama", host: ollama.url, timeoutMs: 3000 },
  },
  tiers: { small: [{ provider: "ol", model: "llama-test" }], mid: [{ provider: "oa", model: "gpt-test" }, { provider: "ol", model: "llama-test" }], large: [{ provider: "oa", model: "gpt-big" }] },
  prices: { "oa/gpt-test": { inputPerMTok: 2, outputPerMTok: 4 }, "oa/gpt-big": { inputPerMTok: 1000, outputPerMTok: 1000 }, "ol/llama-test": { inputPerMTok: 1, outputPerMTok: 1 } },
});

const NOTE = "Hotel Azul wants a brand refresh before the summer season. They prefer muted coastal colours. The budget is $7,500. Contact ana@hotelazul.pt. The weather was nice.";

describe("model nodes in a real flow, out of the box (local)", () => {
  it("runs summarize, generate, classify and extract with the local provider and shows usage", async () => {
    const keel = keelWith();
    const flow = makeFlow(
      [
        { id: "summary", type: "model.summarize", params: { text: "{{ input.note }}", maxSentences: 2 } },
        { id: "kind", type: "model.classify", params: { text: "{{ input.note }}", labels: ["billing", { label: "project", keywords: ["brand", "refresh", "season"] }] } },
        { id: "facts", type: "model.extract", params: { text: "{{ input.note }}", schema: { type: "object", properties: { email: { type: "string", format: "email" }, budget: { type: "number" } }, required: ["email"] } } },
        { id: "reply", type: "model.generate", params: { prompt: "Reply to the client", context: "{{ nodes.facts.output.value }}", template: "Hello, we received your brief (budget {budget}). We will write to {email}." } },
      ],
      [["facts", "reply"]],
    );
    const r = await keel.coordinator.run(flow, { note: NOTE });
    expect(r.status).toBe("succeeded");
    const out = (id: string) => r.nodes[id].output as any;
    expect(out("summary").summary).not.toContain("weather");
    expect(out("summary").call).toMatchObject({ provider: "local", tier: "small", costUsd: 0 });
    expect(out("kind")).toMatchObject({ label: "project" });
    expect(out("kind").confidence).toBeGreaterThan(0.5);
    expect(out("facts").value).toEqual({ email: "ana@hotelazul.pt", budget: 7500 });
    expect(out("reply").text).toBe("Hello, we received your brief (budget 7500). We will write to ana@hotelazul.pt.");
    expect(r.usage).toMatchObject({ calls: 4, costUsd: 0, cacheHits: 0, billedTokens: 0 });
    expect(r.nodes.summary.usage).toMatchObject({ calls: 1, costUsd: 0 });
    expect(r.nodes.summary.usage!.inputTokens).toBeGreaterThan(0);
    const calls = (await traces(keel, r.runId)).filter((t) => t.kind === "model.call");
    expect(calls.map((t) => [t.node, t.data.provider, t.data.tokensEstimated])).toEqual(
      expect.arrayContaining([["summary", "local", true], ["kind", "local", true], ["facts", "local", true], ["reply", "local", true]]),
    );
  });

  it("fails an extract node with a clear error when the text lacks a required field", async () => {
    const keel = keelWith();
    const flow = makeFlow([{ id: "x", type: "model.extract", params: { text: "nothing here", schema: { type: "object", properties: { email: { type: "string" } }, required: ["email"] } } }]);
    const r = await keel.coordinator.run(flow, {});
    expect(r.status).toBe("failed");
    expect(r.nodes.x.error).toMatchObject({ code: "NODE_FAILED", message: expect.stringContaining("email") });
  });

  it("refuses a schema param that is not a JSON Schema before running", async () => {
    const keel = keelWith();
    const flow = makeFlow([{ id: "x", type: "model.extract", params: { text: "a", schema: { type: "wat" } } }]);
    await expect(keel.coordinator.run(flow, {})).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringContaining("must be a JSON Schema") });
  });
});

describe("model nodes in a real flow, with remote providers", () => {
  it("routes each node by tier, records fallbacks, repairs and costs in the run", async () => {
    const keel = keelWith(remote());
    openai.script(
      "/v1/chat/completions",
      { status: 500 }, // summary (mid): first provider fails → Ollama
      { reply: '{"label": "project", "confidence": 0.9}', promptTokens: 30, completionTokens: 10 }, // kind (mid)
      { reply: '{"subject": "Brand refresh"', promptTokens: 40, completionTokens: 8 }, // reply (mid): malformed
      { reply: '{"subject": "Brand refresh", "body": "Dear Ana, ..."}', promptTokens: 60, completionTokens: 20 }, // repaired
    );
    ollama.script("/api/chat", { reply: "Hotel Azul wants a brand refresh.", promptTokens: 50, completionTokens: 9 }, { reply: '{"email": "ana@hotelazul.pt"}', promptTokens: 20, completionTokens: 6 });
    const flow = makeFlow(
      [
        { id: "summary", type: "model.summarize", params: { text: NOTE, tier: "mid" } },
        { id: "kind", type: "model.classify", params: { text: NOTE, labels: ["billing", "project"], tier: "mid" } },
        { id: "facts", type: "model.extract", params: { text: NOTE, schema: { type: "object", properties: { email: { type: "string" } }, required: ["email"] } } },
        {
          id: "reply",
          type: "model.generate",
          params: { prompt: "Draft a reply", context: "{{ nodes.summary.output.summary }}", schema: { type: "object", properties: { subject: { type: "string" }, body: { type: "string" } }, required: ["subject", "body"] } },
        },
      ],
      [["summary", "kind"], ["kind", "reply"], ["summary", "facts"]],
      { concurrency: 1 },
    );
    const r = await keel.coordinator.run(flow, {});
    expect(r.status).toBe("succeeded");
    const out = (id: string) => r.nodes[id].output as any;
    expect(out("summary")).toMatchObject({ summary: "Hotel Azul wants a brand refresh.", call: { provider: "ol", tier: "mid" } });
    expect(out("kind")).toMatchObject({ label: "project", confidence: 0.9, call: { provider: "oa" } });
    expect(out("facts")).toMatchObject({ value: { email: "ana@hotelazul.pt" }, call: { provider: "ol", tier: "small" } });
    expect(out("reply").value).toEqual({ subject: "Brand refresh", body: "Dear Ana, ..." });

    const t = await traces(keel, r.runId);
    expect(t.filter((e) => e.node === "summary").map((e) => e.kind)).toEqual(["model.attempt.failed", "model.call"]);
    expect(t.find((e) => e.node === "summary")!.data).toMatchObject({ provider: "oa", status: 500, next: "fallback" });
    expect(t.filter((e) => e.node === "reply").map((e) => e.kind)).toEqual(["model.call", "model.output.invalid", "model.call"]);

    const cost = (i: number, o: number, pi: number, po: number) => (i * pi + o * po) / 1e6;
    expect(r.nodes.summary.usage).toMatchObject({ calls: 1, inputTokens: 50, outputTokens: 9 });
    expect(r.nodes.reply.usage).toMatchObject({ calls: 2, inputTokens: 100, outputTokens: 28 });
    expect(r.nodes.reply.usage!.costUsd).toBeCloseTo(cost(100, 28, 2, 4), 10);
    expect(r.usage).toMatchObject({ calls: 5, inputTokens: 200, outputTokens: 53, billedTokens: 253, cacheHits: 0 });
    expect(r.usage!.costUsd).toBeCloseTo(cost(50, 9, 1, 1) + cost(30, 10, 2, 4) + cost(20, 6, 1, 1) + cost(100, 28, 2, 4), 10);
  });

  it("answers the same node from the persisted cache in a later run, at zero cost", async () => {
    const dir = tempDir("keel-models-cache-");
    cleanups.push(dir.cleanup);
    const flow = makeFlow([{ id: "s", type: "model.summarize", params: { text: NOTE, tier: "mid" } }]);
    // one Keel at a time on a data folder, as in real use: each run in a fresh one
    const runIn = async (f: typeof flow, models?: unknown) => {
      if (models !== undefined) fs.writeFileSync(path.join(dir.dir, "settings.json"), JSON.stringify({ models }));
      const keel = testKeel({ dataDir: dir.dir });
      try {
        return await keel.coordinator.run(f, {});
      } finally {
        await keel.close();
      }
    };
    const first = await runIn(flow, remote());
    const second = await runIn(flow);
    expect(openai.requests).toHaveLength(1);
    expect(first.usage).toMatchObject({ calls: 1, cacheHits: 0 });
    expect(first.usage!.costUsd).toBeGreaterThan(0);
    expect(second.usage).toMatchObject({ calls: 1, cacheHits: 1, costUsd: 0, inputTokens: 0 });
    expect((second.nodes.s.output as any).call).toMatchObject({ cached: true, costUsd: 0 });
    const noCache = await runIn(makeFlow([{ id: "s", type: "model.summarize", params: { text: NOTE, tier: "mid", cache: false } }]));
    expect(noCache.usage?.cacheHits).toBe(0);
    expect(openai.requests).toHaveLength(2);
  });

  it("keeps a flow within its budget: a cheaper tier answers, or the node fails with BUDGET", async () => {
    const keel = keelWith({ ...remote(), tiers: { ...remote().tiers, small: [{ provider: "local", model: "extractive-v1" }] } });
    const flow = makeFlow(
      [
        { id: "cheap", type: "model.generate", params: { prompt: "Write it", context: NOTE, tier: "mid", maxTokens: 20 } },
        { id: "big", type: "model.generate", params: { prompt: "Write it well", context: NOTE, tier: "large", maxTokens: 200 } },
      ],
      [["cheap", "big"]],
      { budget: { maxCostUsd: 0.01 } },
    );
    const r = await keel.coordinator.run(flow, {});
    expect(r.status).toBe("succeeded");
    expect((r.nodes.cheap.output as any).call).toMatchObject({ provider: "oa", tier: "mid" });
    expect((r.nodes.big.output as any).call).toMatchObject({ provider: "oa", tier: "mid", degradedFrom: "large" });
    const t = (await traces(keel, r.runId)).filter((e) => e.node === "big").map((e) => e.kind);
    expect(t).toEqual(["model.budget", "model.degraded", "model.call"]);

    const strict = makeFlow([{ id: "big", type: "model.generate", params: { prompt: "Write it well", tier: "large", maxTokens: 200, degrade: false } }], [], { budget: { maxCostUsd: 0.01 } });
    const failed = await keel.coordinator.run(strict, {});
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatchObject({ code: "BUDGET", message: expect.stringContaining("budget would be exceeded") });
  });

  it("stops spending once the run's tokens reach the budget", async () => {
    const keel = keelWith({ ...remote(), tiers: { ...remote().tiers, small: [{ provider: "local", model: "extractive-v1" }] } });
    const flow = makeFlow(
      [
        { id: "one", type: "model.summarize", params: { text: NOTE, tier: "mid", maxTokens: 100 } },
        { id: "two", type: "model.summarize", params: { text: `${NOTE} Again.`, tier: "mid", maxTokens: 100 } },
      ],
      [["one", "two"]],
      { budget: { maxTokens: 180 } },
    );
    const r = await keel.coordinator.run(flow, {});
    expect((r.nodes.one.output as any).call.provider).toBe("oa");
    // each call is estimated at ~65 tokens in + 100 out, under 180; with the first call's 18 tokens counted, the second is over
    expect((r.nodes.two.output as any).call).toMatchObject({ provider: "local", degradedFrom: "mid" });
  });

  it("fails model nodes with the settings file's problem when it is broken", async () => {
    const dir = tempDir("keel-models-bad-");
    cleanups.push(dir.cleanup);
    fs.writeFileSync(path.join(dir.dir, "settings.json"), JSON.stringify({ models: { tiers: { small: [{ provider: "gone", model: "m" }] } } }));
    const keel = keelWith(undefined, dir.dir);
    const r = await keel.coordinator.run(makeFlow([{ id: "s", type: "model.summarize", params: { text: NOTE } }]), {});
    expect(r.status).toBe("failed");
    expect(r.nodes.s.error).toMatchObject({ code: "VALIDATION", message: expect.stringContaining('models.tiers.small[0].provider: unknown provider "gone"') });
  });
});

describe("the CLI shows the bill", () => {
  it("prints usage in keel run's result and per flow in keel models usage", async () => {
    const dir = tempDir("keel-models-cli-");
    cleanups.push(dir.cleanup);
    fs.writeFileSync(path.join(dir.dir, "settings.json"), JSON.stringify({ models: remote() }));
    const flowFile = path.join(dir.dir, "flow.json");
    fs.writeFileSync(flowFile, JSON.stringify(makeFlow([{ id: "s", type: "model.summarize", params: { text: NOTE, tier: "mid" } }], [], { id: "billed" })));
    const keel = path.join(root, "bin/keel.js");
    const { stdout } = await run(process.execPath, [keel, "run", flowFile, "--data", dir.dir, "-q"], { cwd: root });
    const result = JSON.parse(stdout);
    expect(result.usage).toMatchObject({ calls: 1, inputTokens: 11, outputTokens: 7, costUsd: (11 * 2 + 7 * 4) / 1e6 });
    expect(result.nodes.s.usage).toMatchObject({ calls: 1 });
    const usage = await run(process.execPath, [keel, "models", "usage", "--data", dir.dir], { cwd: root });
    expect(JSON.parse(usage.stdout.trim())).toMatchObject({ flowId: "billed", runs: 1, calls: 1, costUsd: (11 * 2 + 7 * 4) / 1e6 });
  }, 60_000);
});
