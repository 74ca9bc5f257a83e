import net from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startOllamaWireServer } from "../support/ollama-wire-server.ts";
import { startOpenAIWireServer, type WireServer } from "../support/openai-wire-server.ts";
import { MemoryResponseCache } from "../../runtime/models/cache.ts";
import { ask, hubFixture } from "./hub-fixture.ts";

let openai: WireServer;
let openai2: WireServer;
let ollama: WireServer;
let refusedUrl: string;

beforeAll(async () => {
  [openai, openai2, ollama] = await Promise.all([startOpenAIWireServer(), startOpenAIWireServer({ defaultReply: () => "second provider" }), startOllamaWireServer()]);
  // a port that was just free: connecting to it is refused
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  refusedUrl = `http://127.0.0.1:${(probe.address() as net.AddressInfo).port}/v1`;
  await new Promise((r) => probe.close(r));
});
afterAll(async () => {
  await Promise.all([openai.close(), openai2.close(), ollama.close()]);
});
beforeEach(() => {
  for (const s of [openai, openai2, ollama]) s.requests.length = 0;
});

const PRICES = { "oa/gpt-test": { inputPerMTok: 1, outputPerMTok: 2 }, "oa2/gpt-test": { inputPerMTok: 1, outputPerMTok: 2 }, "ol/llama-test": { inputPerMTok: 0.5, outputPerMTok: 0.5 } };

function providers(extra: Record<string, unknown> = {}) {
  return {
    oa: { type: "openai", baseURL: openai.url, apiKey: { env: "TEST_OPENAI_KEY" }, timeoutMs: 2000 },
    oa2: { type: "openai", baseURL: openai2.url, timeoutMs: 2000 },
    ol: { type: "ollama", host: ollama.url, timeoutMs: 2000 },
    ...extra,
  } as any;
}

const env = { TEST_OPENAI_KEY: "sk-test-123" };

describe("openai wire format", () => {
  it("answers a chat with reported tokens and a cost from the price table", async () => {
    const f = hubFixture({ providers: providers(), tiers: { mid: [{ provider: "oa", model: "gpt-test" }] }, prices: PRICES }, { env });
    const r = await f.hub.chat({ messages: ask("Hello?"), tier: "mid", temperature: 0.2, maxTokens: 50 }, f.scope);
    expect(r).toMatchObject({ text: "Hello from the OpenAI wire server.", provider: "oa", model: "gpt-test", tier: "mid", cached: false, usage: { inputTokens: 11, outputTokens: 7, estimated: false } });
    expect(r.costUsd).toBeCloseTo((11 * 1 + 7 * 2) / 1e6, 12);
    const req = openai.requests[0];
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.body).toMatchObject({ model: "gpt-test", messages: [{ role: "user", content: "Hello?" }], temperature: 0.2, max_tokens: 50 });
    expect(req.headers.authorization).toBe("Bearer sk-test-123");
    expect(f.traces).toEqual([
      { kind: "model.call", data: expect.objectContaining({ operation: "chat", provider: "oa", providerType: "openai", model: "gpt-test", tier: "mid", inputTokens: 11, outputTokens: 7, tokensEstimated: false, costUsd: r.costUsd, cached: false, priced: true }) },
    ]);
  });

  it("streams the answer piece by piece and still reads the usage", async () => {
    const f = hubFixture({ providers: providers(), tiers: { mid: [{ provider: "oa", model: "gpt-test" }] }, prices: PRICES }, { env });
    openai.script("/v1/chat/completions", { reply: "one two three four", promptTokens: 20, completionTokens: 4 });
    const pieces: string[] = [];
    const r = await f.hub.chat({ messages: ask("count"), onText: (d) => pieces.push(d) }, f.scope);
    expect(openai.requests[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe("one two three four");
    expect(r).toMatchObject({ text: "one two three four", usage: { inputTokens: 20, outputTokens: 4, estimated: false } });
  });

  it("estimates tokens when the server reports none", async () => {
    const f = hubFixture({ providers: providers(), tiers: { mid: [{ provider: "oa", model: "gpt-test" }] }, prices: PRICES }, { env });
    openai.script("/v1/chat/completions", { reply: "twelve chars", noUsage: true });
    const r = await f.hub.chat({ messages: ask("x".repeat(40)) }, f.scope);
    expect(r.usage).toEqual({ inputTokens: 10, outputTokens: 3, estimated: true });
    expect(f.traces[0].data).toMatchObject({ tokensEstimated: true, inputTokens: 10, outputTokens: 3 });
  });

  it("computes a confidence from token log-probabilities when asked", async () => {
    const f = hubFixture({ providers: providers(), tiers: { mid: [{ provider: "oa", model: "gpt-test" }] } }, { env });
    openai.script("/v1/chat/completions", { reply: "yes", logprobs: [-0.1, -0.2] });
    const r = await f.hub.chat({ messages: ask("sure?"), logprobs: true }, f.scope);
    expect(openai.requests[0].body.logprobs).toBe(true);
    expect(r.confidence).toBeCloseTo(Math.exp(-0.15), 3);
  });

  it("embeds in batches with encoding_format float, one trace for the call", async () => {
    const f = hubFixture({ providers: providers(), embedding: { provider: "oa", model: "embed-test", batchSize: 2 }, prices: { "oa/embed-test": { inputPerMTok: 10, outputPerMTok: 0 } } }, { env });
    const texts = ["a b", "c d", "e f", "g h", "i j"];
    const r = await f.hub.embed({ texts }, f.scope);
    expect(openai.requests.map((q) => q.body.input)).toEqual([["a b", "c d"], ["e f", "g h"], ["i j"]]);
    expect(openai.requests.every((q) => q.path === "/v1/embeddings" && q.body.encoding_format === "float")).toBe(true);
    expect(r).toMatchObject({ provider: "oa", model: "embed-test", dim: 8, usage: { inputTokens: 15, estimated: false } });
    expect(r.vectors).toHaveLength(5);
    expect(r.vectors[0]).toBeInstanceOf(Float32Array);
    expect(r.costUsd).toBeCloseTo((15 * 10) / 1e6, 12);
    expect(f.traces).toEqual([{ kind: "model.call", data: expect.objectContaining({ operation: "embed", texts: 5, batches: 3, inputTokens: 15 }) }]);
  });
});

describe("ollama wire format", () => {
  it("answers a chat with its eval counts as tokens", async () => {
    const f = hubFixture({ providers: providers(), tiers: { small: [{ provider: "ol", model: "llama-test" }] }, prices: PRICES });
    const r = await f.hub.chat({ messages: ask("hi"), tier: "small", temperature: 0, maxTokens: 30 }, f.scope);
    expect(r).toMatchObject({ text: "Hello from the Ollama wire server.", provider: "ol", usage: { inputTokens: 13, outputTokens: 5, estimated: false } });
    expect(r.costUsd).toBeCloseTo((18 * 0.5) / 1e6, 12);
    expect(ollama.requests[0]).toMatchObject({ path: "/api/chat", body: { model: "llama-test", stream: false, options: { temperature: 0, num_predict: 30 } } });
  });

  it("streams NDJSON", async () => {
    const f = hubFixture({ providers: providers(), tiers: { small: [{ provider: "ol", model: "llama-test" }] } });
    ollama.script("/api/chat", { reply: "alpha beta gamma", promptTokens: 9, completionTokens: 3 });
    const pieces: string[] = [];
    const r = await f.hub.chat({ messages: ask("go"), tier: "small", onText: (d) => pieces.push(d) }, f.scope);
    expect(pieces.join("")).toBe("alpha beta gamma");
    expect(pieces.length).toBe(3);
    expect(r.usage).toEqual({ inputTokens: 9, outputTokens: 3, estimated: false });
  });

  it("passes a schema as format and embeds through /api/embed", async () => {
    const f = hubFixture({ providers: providers(), tiers: { small: [{ provider: "ol", model: "llama-test" }] }, embedding: { provider: "ol", model: "nomic-test" } });
    ollama.script("/api/chat", { reply: '{"ok": true}' });
    const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] };
    const r = await f.hub.chat({ messages: ask("ok?"), tier: "small", schema }, f.scope);
    expect(r.value).toEqual({ ok: true });
    expect(ollama.requests[0].body.format).toEqual(schema);
    const e = await f.hub.embed({ texts: ["x", "y"] }, f.scope);
    expect(ollama.requests[1]).toMatchObject({ path: "/api/embed", body: { model: "nomic-test", input: ["x", "y"] } });
    expect(e).toMatchObject({ provider: "ol", dim: 8, usage: { inputTokens: 8 } });
  });

  it("waits out a 429 and retries the same host", async () => {
    const f = hubFixture({ providers: providers(), tiers: { small: [{ provider: "ol", model: "llama-test" }, { provider: "oa2", model: "gpt-test" }] } });
    ollama.script("/api/chat", { status: 429, body: { error: "slow down" }, headers: { "retry-after": "0" } });
    const r = await f.hub.chat({ messages: ask("hi"), tier: "small" }, f.scope);
    expect(r.provider).toBe("ol");
    expect(f.kinds()).toEqual(["model.attempt.failed", "model.call"]);
    expect(f.traces[0].data).toMatchObject({ provider: "ol", kind: "rate_limit", status: 429, next: "retry" });
  });
});

describe("fallback", () => {
  const tier = (...names: string[]) => names.map((provider) => ({ provider, model: provider === "ol" ? "llama-test" : "gpt-test" }));

  it("retries a 429 on the same provider, then succeeds", async () => {
    const f = hubFixture({ providers: providers(), tiers: { mid: tier("oa", "oa2") }, prices: PRICES }, { env });
    openai.script("/v1/chat/completions", { status: 429, headers: { "retry-after": "0" } });
    const r = await f.hub.chat({ messages: ask("hi") }, f.scope);
    expect(r.provider).toBe("oa");
    expect(openai.requests).toHaveLength(2);
    expect(openai2.requests).toHaveLength(0);
    expect(f.traces.map((t) => [t.kind, t.data.provider, t.data.next])).toEqual([
      ["model.attempt.failed", "oa", "retry"],
      ["model.call", "oa", undefined],
    ]);
    expect(f.traces[1].data).toMatchObject({ inputTokens: 11, outputTokens: 7, attempt: 2 });
  });

  it("moves on after the rate-limit retries run out", async () => {
    const f = hubFixture({ providers: providers(), tiers: { mid: tier("oa", "oa2") }, rateLimit: { retries: 1, maxDelayMs: 10 } }, { env });
    openai.script("/v1/chat/completions", { status: 429 }, { status: 429 });
    const r = await f.hub.chat({ messages: ask("hi") }, f.scope);
    expect(r.text).toBe("second provider");
    expect(f.traces.map((t) => t.data.next ?? t.kind)).toEqual(["retry", "fallback", "model.call"]);
  });

  it("falls back to the next provider on a 500, recording both", async () => {
    const f = hubFixture({ providers: providers(), tiers: { mid: tier("oa", "ol") }, prices: PRICES }, { env });
    openai.script("/v1/chat/completions", { status: 500, body: { error: { message: "boom" } } });
    const r = await f.hub.chat({ messages: ask("hi") }, f.scope);
    expect(r).toMatchObject({ provider: "ol", text: "Hello from the Ollama wire server.", tier: "mid" });
    expect(f.traces[0]).toEqual({ kind: "model.attempt.failed", data: expect.objectContaining({ provider: "oa", kind: "server", status: 500, next: "fallback" }) });
    expect(f.traces[1]).toEqual({ kind: "model.call", data: expect.objectContaining({ provider: "ol", inputTokens: 13, outputTokens: 5, costUsd: (18 * 0.5) / 1e6 }) });
    expect(f.usage()).toMatchObject({ calls: 1, inputTokens: 13, outputTokens: 5 });
  });

  it("falls back when a provider does not answer in time", async () => {
    const f = hubFixture({ providers: providers({ slow: { type: "openai", baseURL: openai.url, timeoutMs: 300 } }), tiers: { mid: [{ provider: "slow", model: "gpt-test" }, { provider: "oa2", model: "gpt-test" }] } });
    openai.script("/v1/chat/completions", { hang: true });
    const r = await f.hub.chat({ messages: ask("hi") }, f.scope);
    expect(r.provider).toBe("oa2");
    expect(f.traces[0].data).toMatchObject({ provider: "slow", kind: "timeout", next: "fallback" });
    expect(f.traces[0].data.error).toContain("300 ms");
  });

  it("falls back when the connection is refused", async () => {
    const f = hubFixture({ providers: providers({ gone: { type: "openai", baseURL: refusedUrl } }), tiers: { mid: [{ provider: "gone", model: "gpt-test" }, { provider: "ol", model: "llama-test" }] } });
    const r = await f.hub.chat({ messages: ask("hi") }, f.scope);
    expect(r.provider).toBe("ol");
    expect(f.traces[0].data).toMatchObject({ provider: "gone", kind: "connection", next: "fallback" });
  });

  it("falls back when the answer's body is not JSON", async () => {
    const f = hubFixture({ providers: providers(), tiers: { mid: tier("oa", "oa2") } }, { env });
    openai.script("/v1/chat/completions", { raw: '{"id": "cut off' });
    const r = await f.hub.chat({ messages: ask("hi") }, f.scope);
    expect(r.provider).toBe("oa2");
    expect(f.traces[0].data).toMatchObject({ provider: "oa", kind: "server", next: "fallback" });
  });

  it("degrades to the next smaller tier when a whole tier fails, and says so", async () => {
    const f = hubFixture({ providers: providers(), tiers: { large: tier("oa"), mid: tier("oa2") } }, { env });
    openai.script("/v1/chat/completions", { status: 503 });
    const r = await f.hub.chat({ messages: ask("hi"), tier: "large" }, f.scope);
    expect(r).toMatchObject({ provider: "oa2", tier: "mid", degradedFrom: "large" });
    expect(f.kinds()).toEqual(["model.attempt.failed", "model.degraded", "model.call"]);
    expect(f.traces[1].data).toEqual({ from: "large", to: "mid", reason: "server" });
    expect(f.traces[2].data).toMatchObject({ tier: "mid", requestedTier: "large", degradedFrom: "large" });
  });

  it("does not degrade when the call forbids it; the error is retryable and lists the failures", async () => {
    const f = hubFixture({ providers: providers(), tiers: { large: tier("oa"), mid: tier("oa2") } }, { env });
    openai.script("/v1/chat/completions", { status: 502 });
    await expect(f.hub.chat({ messages: ask("hi"), tier: "large", degrade: false }, f.scope)).rejects.toMatchObject({
      code: "TRANSIENT",
      retryable: true,
      message: expect.stringContaining("oa/gpt-test: server 502"),
    });
    expect(openai2.requests).toHaveLength(0);
  });

  it("does not fall back on a rejected request (401): it is a configuration error", async () => {
    const f = hubFixture({ providers: providers(), tiers: { mid: tier("oa", "oa2") } }, { env });
    openai.script("/v1/chat/completions", { status: 401, body: { error: { message: "bad key" } } });
    await expect(f.hub.chat({ messages: ask("hi") }, f.scope)).rejects.toMatchObject({ code: "NODE_FAILED", retryable: false, message: expect.stringContaining("401") });
    expect(openai2.requests).toHaveLength(0);
  });

  it("stops at once when the caller aborts", async () => {
    const f = hubFixture({ providers: providers(), tiers: { mid: tier("oa", "oa2") } }, { env });
    openai.script("/v1/chat/completions", { hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(f.hub.chat({ messages: ask("hi"), signal: controller.signal }, f.scope)).rejects.toMatchObject({ code: "CANCELED" });
    expect(openai2.requests).toHaveLength(0);
  });
});

describe("structured output", () => {
  const schema = { type: "object", properties: { client: { type: "string" }, amount: { type: "number" } }, required: ["client", "amount"] };

  it("retries once with the validation error when the answer is malformed JSON", async () => {
    const f = hubFixture({ providers: providers(), tiers: { mid: [{ provider: "oa", model: "gpt-test" }] }, prices: PRICES }, { env });
    openai.script("/v1/chat/completions", { reply: '{"client": "Hotel Azul", "amount": ' }, { reply: '```json\n{"client": "Hotel Azul", "amount": 7500}\n```' });
    const r = await f.hub.chat({ messages: ask("extract"), schema, schemaName: "deal" }, f.scope);
    expect(r.value).toEqual({ client: "Hotel Azul", amount: 7500 });
    expect(openai.requests[0].body.response_format).toEqual({ type: "json_schema", json_schema: { name: "deal", schema, strict: false } });
    const retry = openai.requests[1].body.messages;
    expect(retry).toHaveLength(3);
    expect(retry[1]).toEqual({ role: "assistant", content: '{"client": "Hotel Azul", "amount": ' });
    expect(retry[2].content).toContain("not valid JSON");
    expect(f.kinds()).toEqual(["model.call", "model.output.invalid", "model.call"]);
    expect(f.traces[0].data).toMatchObject({ valid: false, inputTokens: 11 });
    expect(f.traces[2].data).toMatchObject({ repair: true });
    expect(f.usage()).toMatchObject({ calls: 2, inputTokens: 22, outputTokens: 14 }); // the bad answer was paid for too
  });

  it("retries when the JSON does not match the schema, naming the problem", async () => {
    const f = hubFixture({ providers: providers(), tiers: { mid: [{ provider: "oa", model: "gpt-test" }] } }, { env });
    openai.script("/v1/chat/completions", { reply: '{"client": "Hotel Azul"}' }, { reply: '{"client": "Hotel Azul", "amount": 1}' });
    const r = await f.hub.chat({ messages: ask("extract"), schema }, f.scope);
    expect(r.value).toEqual({ client: "Hotel Azul", amount: 1 });
    expect(openai.requests[1].body.messages[2].content).toContain("amount");
  });

  it("fails after the second bad answer", async () => {
    const f = hubFixture({ providers: providers(), tiers: { mid: [{ provider: "oa", model: "gpt-test" }] } }, { env });
    openai.script("/v1/chat/completions", { reply: "not json" }, { reply: "still not json" });
    await expect(f.hub.chat({ messages: ask("extract"), schema }, f.scope)).rejects.toMatchObject({ code: "NODE_FAILED", message: expect.stringContaining("after being told what was wrong") });
    expect(openai.requests).toHaveLength(2);
  });
});

describe("cache and budget", () => {
  it("answers the second identical call from the cache at zero cost", async () => {
    const f = hubFixture({ providers: providers(), tiers: { mid: [{ provider: "oa", model: "gpt-test" }] }, prices: PRICES }, { env });
    const req = { messages: ask("cache me"), temperature: 0 };
    const first = await f.hub.chat(req, f.scope);
    const second = await f.hub.chat(req, f.scope);
    expect(openai.requests).toHaveLength(1);
    expect(second).toMatchObject({ text: first.text, cached: true, costUsd: 0, usage: { inputTokens: 0, outputTokens: 0 } });
    expect(f.traces[1]).toEqual({ kind: "model.call", data: expect.objectContaining({ cached: true, costUsd: 0, savedUsd: first.costUsd }) });
    expect(f.usage()).toMatchObject({ calls: 2, cacheHits: 1, costUsd: first.costUsd });
    await f.hub.chat({ ...req, temperature: 0.5 }, f.scope); // other parameters: another request
    await f.hub.chat({ ...req, cache: false }, f.scope); // opted out
    expect(openai.requests).toHaveLength(3);
  });

  it("serves a cached answer even when the budget would forbid a new call", async () => {
    const cache = new MemoryResponseCache();
    const settings = { providers: providers(), tiers: { mid: [{ provider: "oa", model: "gpt-test" }] }, prices: PRICES };
    const warm = hubFixture(settings, { env, cache });
    await warm.hub.chat({ messages: ask("warm") }, warm.scope);
    const f = hubFixture(settings, { env, cache, budget: { maxCostUsd: 0 } });
    const pieces: string[] = [];
    const r = await f.hub.chat({ messages: ask("warm"), degrade: false, onText: (d) => pieces.push(d) }, f.scope);
    expect(r).toMatchObject({ cached: true, costUsd: 0 });
    expect(pieces.join("")).toBe(r.text);
    await expect(f.hub.chat({ messages: ask("cold"), degrade: false }, f.scope)).rejects.toMatchObject({ code: "BUDGET" });
    expect(openai.requests).toHaveLength(1);
  });

  it("falls back to a cheaper tier when the budget would be exceeded", async () => {
    const f = hubFixture(
      { providers: providers(), tiers: { large: [{ provider: "oa", model: "gpt-big" }], mid: [{ provider: "oa2", model: "gpt-test" }] }, prices: { "oa/gpt-big": { inputPerMTok: 1000, outputPerMTok: 1000 }, ...PRICES } },
      { env, budget: { maxCostUsd: 0.01 } },
    );
    const r = await f.hub.chat({ messages: ask("write a proposal"), tier: "large", maxTokens: 100 }, f.scope);
    expect(r).toMatchObject({ provider: "oa2", tier: "mid", degradedFrom: "large" });
    expect(openai.requests).toHaveLength(0);
    expect(f.kinds()).toEqual(["model.budget", "model.degraded", "model.call"]);
    expect(f.traces[0].data).toMatchObject({ provider: "oa", model: "gpt-big", budget: { maxCostUsd: 0.01 } });
    expect(f.traces[0].data.estimateUsd).toBeGreaterThan(0.01);
    expect(f.traces[1].data).toMatchObject({ from: "large", to: "mid", reason: "budget" });
  });

  it("counts what the run already spent, and ends with a BUDGET error when nothing fits", async () => {
    const f = hubFixture({ providers: providers(), tiers: { small: [{ provider: "oa", model: "gpt-test" }], mid: [{ provider: "oa", model: "gpt-test" }] }, prices: PRICES }, { env, budget: { maxTokens: 1100 } });
    await f.hub.chat({ messages: ask("first"), tier: "small", maxTokens: 1000 }, f.scope); // 11 + 7 tokens spent
    expect(f.usage()?.billedTokens).toBe(18);
    await expect(f.hub.chat({ messages: ask("second"), tier: "mid", maxTokens: 1090 }, f.scope)).rejects.toMatchObject({
      code: "BUDGET",
      retryable: false,
      message: expect.stringMatching(/budget would be exceeded by tier "mid".*18 tokens of 1100 tokens/),
    });
    expect(openai.requests).toHaveLength(1);
  });

  it("says BUDGET, not a provider failure, when a call may not degrade", async () => {
    const f = hubFixture({ providers: providers(), tiers: { large: [{ provider: "oa", model: "gpt-test" }] }, prices: { "gpt-test": { inputPerMTok: 1e6, outputPerMTok: 1e6 } } }, { env, budget: { maxCostUsd: 1 } });
    await expect(f.hub.chat({ messages: ask("x"), tier: "large", degrade: false }, f.scope)).rejects.toMatchObject({ code: "BUDGET", message: expect.stringContaining("may not fall back") });
  });
});

describe("keys and explicit models", () => {
  it("reads the API key from a vault credential, else from the env variable, and registers it as a secret", async () => {
    const f = hubFixture({ providers: providers({ vaulted: { type: "openai", baseURL: openai.url, apiKey: { credential: "openai-main", env: "TEST_OPENAI_KEY" } } }) }, { env });
    const secrets: string[] = [];
    const scope = { ...f.scope, credential: async (name: string) => ({ apiKey: `from-vault-${name}` }), registerSecret: (_n: string, v: string) => secrets.push(v) };
    await f.hub.chat({ messages: ask("a"), model: "vaulted/gpt-test" }, scope);
    expect(openai.requests[0].headers.authorization).toBe("Bearer from-vault-openai-main");
    await f.hub.chat({ messages: ask("b"), model: "vaulted/gpt-test" }, { ...scope, credential: async () => Promise.reject(new Error("no vault")) });
    expect(openai.requests[1].headers.authorization).toBe("Bearer sk-test-123");
    expect(secrets).toEqual(["sk-test-123"]);
  });

  it("calls an explicit provider/model without tiers, and refuses an unknown provider", async () => {
    const f = hubFixture({ providers: providers() });
    const r = await f.hub.chat({ messages: ask("hi"), model: "ol/llama-explicit" }, f.scope);
    expect(r).toMatchObject({ provider: "ol", model: "llama-explicit" });
    expect(r.tier).toBeUndefined();
    await expect(f.hub.chat({ messages: ask("hi"), model: "nope/x" }, f.scope)).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringContaining('unknown model provider "nope"') });
    await expect(f.hub.chat({ messages: ask("hi"), model: "no-slash" }, f.scope)).rejects.toMatchObject({ code: "VALIDATION" });
  });
});
