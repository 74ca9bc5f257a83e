import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../../runtime/schema/events.ts";
import { makeFlow, tempDir, testKeel } from "../support/keel.ts";
import { startOpenAIWireServer, type WireServer } from "../support/openai-wire-server.ts";

const CORPUS = path.resolve(import.meta.dirname, "../fixtures/corpus");

async function traces(keel: ReturnType<typeof testKeel>, runId: string) {
  const { events } = await keel.store.read(runId);
  return events.filter((e): e is Extract<RunEvent, { type: "node.trace" }> => e.type === "node.trace");
}

describe("memory nodes in a real flow (local models)", () => {
  const keel = testKeel();
  beforeAll(async () => {
    await keel.memory.ingest(CORPUS, { collection: "studio" });
  });
  afterAll(() => keel.dispose());

  it("retrieve finds the client file with a citation and a numbered context", async () => {
    const flow = makeFlow([{ id: "find", type: "memory.retrieve", params: { query: "{{ input.question }}", k: 3, collection: "studio" } }]);
    const r = await keel.coordinator.run(flow, { question: "what typeface does the oyster bar use on its menus?" });
    expect(r.status).toBe("succeeded");
    const out = r.nodes.find.output as { items: Array<{ citation: string; text: string; source: { file: string } }>; context: string };
    expect(out.items.map((i) => i.source.file)).toContain("clients/saltmarsh-oysters.md");
    expect(out.context).toMatch(/^\[1\] /);
    expect(out.context).toContain("(source: clients/saltmarsh-oysters.md § Saltmarsh Oyster Bar > Menus)");
    const t = await traces(keel, r.runId);
    expect(t.map((e) => e.kind)).toEqual(expect.arrayContaining(["memory.search", "model.call"]));
  });

  it("remember writes facts citing the run; the same facts again are skipped, a restatement updates", async () => {
    const flow = makeFlow([{ id: "note", type: "memory.remember", params: { facts: "{{ input.facts }}", collection: "crm", metadata: { client: "harbor" } } }]);
    const first = await keel.coordinator.run(flow, { facts: ["Harbor Bakery will order 2,000 paper bags in May.", "Dev Patel is Harbor Bakery's bookkeeper."] });
    expect(first.status).toBe("succeeded");
    expect(first.nodes.note.output).toMatchObject({ inserted: 2, updated: 0, skipped: 0 });
    const again = await keel.coordinator.run(flow, { facts: ["Harbor Bakery will order 2,000 paper bags in May."] });
    expect(again.nodes.note.output).toMatchObject({ inserted: 0, skipped: 1 });
    const restated = await keel.coordinator.run(flow, { facts: ["In May, Harbor Bakery orders 2,000 paper bags"] });
    expect(restated.nodes.note.output).toMatchObject({ inserted: 0, updated: 1 });

    const hits = await keel.memory.search("paper bags order", { collection: "crm", metadata: { client: "harbor" }, k: 5 });
    expect(hits.filter((h) => h.text.includes("paper bags"))).toHaveLength(1);
    expect(hits[0]).toMatchObject({ text: "In May, Harbor Bakery orders 2,000 paper bags", tier: "working", source: { kind: "run", runId: restated.runId, nodeId: "note" } });
    expect(hits[0].citation).toBe(`run ${restated.runId} node note`);
  });

  it("condense turns a conversation into standalone facts and remembers those", async () => {
    const flow = makeFlow([
      {
        id: "condense",
        type: "memory.condense",
        params: { conversation: "{{ input.chat }}", collection: "calls", maxFacts: 4 },
      },
      { id: "recall", type: "memory.retrieve", params: { query: "tin maker artwork deadline", collection: "calls", k: 2 } },
    ], [["condense", "recall"]]);
    const chat = [
      { name: "Min-jun", content: "Hi! Thanks for calling back." },
      { name: "Min-jun", content: "The tin maker needs the final artwork for the new tea tins by 3 November." },
      { name: "Studio", content: "Should we quote the gold foil separately?" },
      { name: "Min-jun", content: "Yes, the gold foil must appear as its own line on the quote." },
    ];
    const r = await keel.coordinator.run(flow, { chat });
    expect(r.status).toBe("succeeded");
    const out = r.nodes.condense.output as { facts: string[]; inserted: number; call: { provider: string } };
    expect(out.call.provider).toBe("local");
    expect(out.facts.some((f) => f.includes("3 November"))).toBe(true);
    expect(out.facts.join(" ")).not.toMatch(/Hi!|\?/); // greetings and questions are not facts
    expect(out.inserted).toBe(out.facts.length);
    const recalled = r.nodes.recall.output as { items: Array<{ text: string }> };
    expect(recalled.items[0].text).toContain("3 November");
  });

  it("compensation forgets what a failed flow remembered", async () => {
    const flow = makeFlow(
      [
        { id: "note", type: "memory.remember", params: { text: "Quarry Climbing wants a quote for 40 route signs.", collection: "saga" } },
        { id: "boom", type: "transform", params: { set: { x: "{{ $error('the quote service is down') }}" } } },
      ],
      [["note", "boom"]],
      { onFailure: "compensate" },
    );
    const r = await keel.coordinator.run(flow, {});
    expect(r.status).toBe("failed");
    const id = (r.nodes.note.output as { items: Array<{ id: string }> }).items[0].id;
    expect(await keel.memory.get(id)).toBeUndefined();
    expect(await keel.memory.search("route signs quote", { collection: "saga" })).toEqual([]);
  });

  it("refuses bad params before running, naming the parameter", async () => {
    const flow = makeFlow([{ id: "note", type: "memory.remember", params: { collection: "x" } }]);
    await expect(keel.coordinator.run(flow, {})).rejects.toThrow(/give text or facts/);
  });
});

describe("memory with a configured embedding model", () => {
  let openai: WireServer;
  const tmp = tempDir("keel-memory-emb-");
  beforeAll(async () => {
    openai = await startOpenAIWireServer();
  });
  afterAll(async () => {
    await openai.close();
    tmp.cleanup();
  });
  afterEach(() => {
    openai.requests.length = 0;
  });

  it("embeds through the models door and keeps its vectors in a table of their own", async () => {
    fs.writeFileSync(
      path.join(tmp.dir, "settings.json"),
      JSON.stringify({ models: { providers: { oa: { type: "openai", baseURL: openai.url, timeoutMs: 3000 } }, embedding: { provider: "oa", model: "emb-test" } } }),
    );
    const keel = testKeel({ dataDir: tmp.dir });
    try {
      const flow = makeFlow([{ id: "note", type: "memory.remember", params: { text: "Orbit Robotics pays a monthly retainer.", collection: "crm", tier: "long" } }]);
      const r = await keel.coordinator.run(flow, {});
      expect(r.status).toBe("succeeded");
      expect(openai.requests.some((q) => q.path.endsWith("/embeddings"))).toBe(true);
      const calls = (await traces(keel, r.runId)).filter((e) => e.kind === "model.call");
      expect(calls[0].data).toMatchObject({ operation: "embed", provider: "oa", model: "emb-test" });
      const stats = await keel.memory.stats();
      expect(stats.tables.map((t) => t.space)).toEqual([{ provider: "oa", model: "emb-test", dim: 8 }]);
      // the CLI and API use the same configured model, so they find it too
      const hits = await keel.memory.search("Orbit Robotics retainer", { k: 1 });
      expect(hits[0].text).toBe("Orbit Robotics pays a monthly retainer.");
    } finally {
      await keel.close();
    }
  });
});
