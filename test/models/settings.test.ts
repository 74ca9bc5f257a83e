import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultModelSettings, parseModelSettings } from "../../runtime/models/settings.ts";
import { FileResponseCache } from "../../storage/models/response-cache.ts";
import { modelSettingsLoader } from "../../storage/models/settings-file.ts";
import { cacheKey } from "../../runtime/models/cache.ts";
import { tempDir } from "../support/keel.ts";

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));
function dir() {
  const t = tempDir("keel-models-");
  cleanups.push(t.cleanup);
  return t.dir;
}

describe("model settings", () => {
  it("default to the local provider for every tier", () => {
    const s = defaultModelSettings();
    expect(s.tiers).toEqual({ small: [{ provider: "local", model: "extractive-v1" }], mid: [{ provider: "local", model: "extractive-v1" }], large: [{ provider: "local", model: "extractive-v1" }] });
    expect(s.embedding).toMatchObject({ provider: "local" });
    expect(s.cache).toEqual({ enabled: true, ttlDays: 30 });
  });

  it("fill defaults for what a section leaves out", () => {
    const s = parseModelSettings({ providers: { ol: { type: "ollama" } }, tiers: { mid: [{ provider: "ol", model: "llama3.2" }] } });
    expect(s.providers.ol).toEqual({ type: "ollama", host: "http://127.0.0.1:11434", headers: {} });
    expect(s.tiers.mid).toEqual([{ provider: "ol", model: "llama3.2" }]);
    expect(s.tiers.small[0].provider).toBe("local");
  });

  it("name every problem with its place", () => {
    let message = "";
    try {
      parseModelSettings(
        { providers: { local: { type: "ollama" }, x: { type: "openai", baseURL: "ftp://nope" } }, tiers: { large: [{ provider: "ghost", model: "m" }], huge: [] }, prices: { m: { inputPerMTok: -1, outputPerMTok: 1 } } },
        "settings.json",
      );
    } catch (e) {
      expect((e as { code: string }).code).toBe("VALIDATION");
      message = (e as Error).message;
    }
    expect(message).toContain("settings.json: models.providers.x.baseURL");
    expect(message).toContain("models.tiers");
    expect(message).toContain("huge");
    expect(message).toContain("models.prices.m.inputPerMTok");
  });

  it("refuse a tier naming an unknown provider, and redefining local", () => {
    expect(() => parseModelSettings({ tiers: { large: [{ provider: "ghost", model: "m" }] } })).toThrow(/models\.tiers\.large\[0\]\.provider: unknown provider "ghost"/);
    expect(() => parseModelSettings({ providers: { local: { type: "ollama" } } })).toThrow(/"local" is built in/);
    expect(() => parseModelSettings({ providers: { oa: { type: "openai", apiKey: {} } } })).toThrow(/names a credential or an env variable/);
  });
});

describe("settings.json loader", () => {
  it("reads the models section, and again after the file changes", () => {
    const file = path.join(dir(), "settings.json");
    const load = modelSettingsLoader(file);
    expect(load().tiers.mid[0].provider).toBe("local");
    fs.writeFileSync(file, JSON.stringify({ other: { kept: true }, models: { providers: { ol: { type: "ollama" } }, tiers: { mid: [{ provider: "ol", model: "a" }] } } }));
    expect(load().tiers.mid[0]).toEqual({ provider: "ol", model: "a" });
    fs.writeFileSync(file, JSON.stringify({ models: { providers: { ol: { type: "ollama" } }, tiers: { mid: [{ provider: "ol", model: "bb" }] } } }));
    expect(load().tiers.mid[0].model).toBe("bb");
  });

  it("reports a broken file by name on each use and leaves it as it is", () => {
    const file = path.join(dir(), "settings.json");
    fs.writeFileSync(file, "{ not json");
    const load = modelSettingsLoader(file);
    expect(() => load()).toThrow(/settings\.json is not valid JSON/);
    expect(() => load()).toThrow(/settings\.json is not valid JSON/);
    expect(fs.readFileSync(file, "utf8")).toBe("{ not json");
    fs.writeFileSync(file, JSON.stringify({ models: { tiers: { mid: [] } } }));
    expect(() => load()).toThrow(/models\.tiers\.mid: needs at least one/);
  });
});

describe("persisted response cache", () => {
  it("keeps entries across instances and treats a damaged entry as a miss", async () => {
    const d = dir();
    const key = cacheKey({ provider: "oa", endpoint: "http://x", model: "m", messages: [{ role: "user", content: "hi" }] });
    const entry = { text: "hello", inputTokens: 1, outputTokens: 2, estimated: false, costUsd: 0.5, createdAt: 1 };
    await new FileResponseCache(d).set(key, entry);
    expect(await new FileResponseCache(d).get(key)).toEqual(entry);
    fs.writeFileSync(path.join(d, key.slice(0, 2), `${key}.json`), "{broken");
    expect(await new FileResponseCache(d).get(key)).toBeUndefined();
    expect(await new FileResponseCache(d).prune(Date.now())).toBe(1);
  });

  it("keys on what changes the answer, not on key order", () => {
    const a = cacheKey({ provider: "oa", endpoint: "e", model: "m", messages: [{ role: "user", content: "hi" }], schema: { type: "object", properties: {} } });
    const b = cacheKey({ model: "m", endpoint: "e", provider: "oa", messages: [{ content: "hi", role: "user" }], schema: { properties: {}, type: "object" } });
    expect(a).toBe(b);
    expect(cacheKey({ provider: "oa", endpoint: "e", model: "m", messages: [{ role: "user", content: "hi" }], temperature: 1 })).not.toBe(a);
    expect(cacheKey({ provider: "oa", endpoint: "other", model: "m", messages: [{ role: "user", content: "hi" }] })).not.toBe(
      cacheKey({ provider: "oa", endpoint: "e", model: "m", messages: [{ role: "user", content: "hi" }] }),
    );
  });
});
