import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LanceMemoryStore } from "../../storage/memory/store.ts";
import { tempDir } from "../support/keel.ts";

const CORPUS = path.resolve(import.meta.dirname, "../fixtures/corpus");
const DAY = 86_400_000;

function files(hits: Array<{ source: { kind: string } & Record<string, unknown> }>): string[] {
  return hits.map((h) => (h.source.kind === "file" ? String(h.source.file) : `(${h.source.kind})`));
}

describe("memory store: ingest and search the corpus", () => {
  const tmp = tempDir("keel-memory-");
  const store = new LanceMemoryStore({ dir: path.join(tmp.dir, "memory") });
  let first: Awaited<ReturnType<LanceMemoryStore["ingest"]>>;

  beforeAll(async () => {
    first = await store.ingest(CORPUS, { collection: "studio" });
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it("ingests every .md and .txt file of the folder", () => {
    expect(first.files).toBe(30);
    expect(first.added).toBe(30);
    expect(first.chunksAdded).toBeGreaterThanOrEqual(30);
    expect(first.skipped).toEqual([]);
  });

  it("finds the right document for a keyword query", async () => {
    const hits = await store.search("Saltmarsh menu typeface", { k: 3 });
    expect(files(hits)).toContain("clients/saltmarsh-oysters.md");
    expect(hits[0].citation).toBe("clients/saltmarsh-oysters.md § Saltmarsh Oyster Bar > Menus");
    expect(hits[0].text).toContain("condensed grotesque");
    expect(hits[0].matchedBy.sort()).toEqual(["text", "vector"]);
  });

  it("finds the right document for a paraphrase that shares few words with it", async () => {
    // the document says "Send invoices on the first Monday of each month"
    const hits = await store.search("When should we send the bakery its bills?", { k: 3 });
    expect(files(hits)).toContain("clients/harbor-bakery.md");
    const font = await store.search("what font does the seafood place use on its menu", { k: 3 });
    expect(files(font)).toContain("clients/saltmarsh-oysters.md");
  });

  it("re-ingesting the unchanged folder writes nothing", async () => {
    const [t] = await store.allTables();
    const version = await t.table.version();
    const again = await store.ingest(CORPUS, { collection: "studio" });
    expect(again).toMatchObject({ unchanged: 30, changed: 0, added: 0, chunksAdded: 0, chunksRemoved: 0, chunksKept: first.chunksAdded });
    expect(await t.table.version()).toBe(version);
  });

  it("filters by collection, tier and metadata", async () => {
    expect(await store.search("invoice", { collection: "elsewhere" })).toEqual([]);
    expect(await store.search("invoice", { tier: "working" })).toEqual([]);
    const onlyAtlas = await store.search("invoice", { k: 10, metadata: { file: "clients/atlas-freight.md" } });
    expect(onlyAtlas.length).toBeGreaterThan(0);
    expect(new Set(files(onlyAtlas))).toEqual(new Set(["clients/atlas-freight.md"]));
    await expect(store.search("x", { tier: "hot" as never })).rejects.toThrow(/tier must be one of/);
    await expect(store.search("x", { k: 0 })).rejects.toThrow(/k must be an integer/);
  });

  it("takes queries with quotes and operators as plain text", async () => {
    const hits = await store.search(`Bruno's "script" fonts OR (menu) AND'; DROP TABLE x; --`, { k: 3 });
    expect(files(hits)).toContain("clients/saltmarsh-oysters.md");
  });
});

describe("memory store: a changed file", () => {
  const tmp = tempDir("keel-memory-");
  afterAll(() => tmp.cleanup());

  it("replaces the file's old chunks and keeps the rest", async () => {
    const docs = path.join(tmp.dir, "docs");
    fs.cpSync(path.join(CORPUS, "clients"), docs, { recursive: true });
    const store = new LanceMemoryStore({ dir: path.join(tmp.dir, "memory") });
    try {
      const before = await store.ingest(docs);
      expect(before.collection).toBe("docs");
      const file = path.join(docs, "harbor-bakery.md");
      fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("Send invoices on the first Monday of each month", "Send invoices on the last Friday of each month"));
      const after = await store.ingest(docs);
      expect(after).toMatchObject({ changed: 1, unchanged: 15, added: 0, chunksAdded: 1, chunksRemoved: 1 });

      const billing = await store.search("when to invoice Harbor Bakery", { k: 10, metadata: { file: "harbor-bakery.md" } });
      const texts = billing.map((h) => h.text).join("\n");
      expect(texts).toContain("last Friday");
      expect(texts).not.toContain("first Monday");
      const [t] = await store.allTables();
      expect(await t.table.countRows()).toBe(before.chunksAdded);

      fs.rmSync(file);
      const pruned = await store.ingest(docs, { prune: true });
      expect(pruned).toMatchObject({ removed: 1, chunksAdded: 0 });
      expect(await store.search("Harbor Bakery", { k: 10, metadata: { file: "harbor-bakery.md" } })).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("builds a missing full-text index when searched (a writer that stopped before building it)", async () => {
    const store = new LanceMemoryStore({ dir: path.join(tmp.dir, "memory3") });
    try {
      const t = (await store.spaceTable(store.embedder.space!, { create: true }))!;
      const { vectors } = await store.embedder.embed(["Pine & Ember labels are printed on synthetic stock."]);
      await t.add(
        [{ id: "m_1", collection: "c", tier: "long", text: "Pine & Ember labels are printed on synthetic stock.", source_kind: "manual", source_ref: "", source_detail: "", created_at: 1, updated_at: 1, expires_at: null, metadata: "{}", meta_kv: [] }],
        vectors,
      );
      expect((await store.search("synthetic stock", { mode: "text" })).map((h) => h.id)).toEqual(["m_1"]);
    } finally {
      await store.close();
    }
  });

  it("refuses a folder that is not there, with its name", async () => {
    const store = new LanceMemoryStore({ dir: path.join(tmp.dir, "memory2") });
    await expect(store.ingest(path.join(tmp.dir, "nope"))).rejects.toThrow(/nope: no such folder/);
    await store.close();
  });
});

describe("memory store: remember", () => {
  const tmp = tempDir("keel-memory-");
  const store = new LanceMemoryStore({ dir: path.join(tmp.dir, "memory") });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it("updates a near-duplicate instead of inserting it, and skips an exact repeat", async () => {
    const a = await store.remember({ text: "Harbor Bakery wants invoices on the first Monday of each month.", collection: "facts", metadata: { client: "harbor" } });
    expect(a.action).toBe("inserted");
    const again = await store.remember({ text: "Harbor Bakery wants invoices on the first Monday of each month.", collection: "facts" });
    expect(again).toMatchObject({ id: a.id, action: "skipped" });
    const restated = await store.remember({ text: "Harbor Bakery wants invoices on the first Monday of every month", collection: "facts", metadata: { contact: "Dev" } });
    expect(restated).toMatchObject({ id: a.id, action: "updated", previousText: "Harbor Bakery wants invoices on the first Monday of each month." });
    expect(restated.similarity).toBeGreaterThanOrEqual(0.9);
    const other = await store.remember({ text: "Northwind Florists only take phone calls in the morning.", collection: "facts" });
    expect(other.action).toBe("inserted");

    const words = await store.search("bookkeeper", { collection: "facts", mode: "text" });
    expect(words).toEqual([]); // full-text index exists from the first write, and finds only what is there
    expect((await store.search("phone calls", { collection: "facts", mode: "text" }))[0].id).toBe(other.id);
    const hits = await store.search("Harbor Bakery invoices", { collection: "facts", k: 10 });
    expect(hits.filter((h) => h.text.includes("Harbor"))).toHaveLength(1);
    expect(hits[0]).toMatchObject({ id: a.id, text: "Harbor Bakery wants invoices on the first Monday of every month", metadata: { client: "harbor", contact: "Dev" }, source: { kind: "manual" } });
  });

  it("keeps the same fact apart in another collection", async () => {
    const r = await store.remember({ text: "Harbor Bakery wants invoices on the first Monday of every month", collection: "other" });
    expect(r.action).toBe("inserted");
  });

  it("forgets by id and refuses bad input clearly", async () => {
    const r = await store.remember({ text: "Velvet Fern wants the foil price as its own line.", collection: "misc" });
    expect(await store.forget(r.id)).toBe(true);
    expect(await store.forget(r.id)).toBe(false);
    await expect(store.remember({ text: "  " })).rejects.toThrow(/non-empty text/);
    await expect(store.remember({ text: "x", tier: "forever" as never })).rejects.toThrow(/tier must be one of/);
  });

  it("reports counts per collection and tier", async () => {
    const stats = await store.stats();
    expect(stats.tables).toHaveLength(1);
    expect(stats.tables[0].space).toEqual({ provider: "local", model: "hashed-ngram-v1", dim: 256 });
    expect(stats.tables[0].collections.facts).toEqual({ working: 2, long: 0 });
  });
});

describe("memory store: expiry", () => {
  let clock = Date.parse("2026-03-01T09:00:00Z");
  const tmp = tempDir("keel-memory-");
  const store = new LanceMemoryStore({ dir: path.join(tmp.dir, "memory"), now: () => clock });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it("does not return expired working memories; promoted ones stay", async () => {
    const fleeting = await store.remember({ text: "Quarry Climbing asked for a quote on chalk bags this week.", collection: "exp" });
    const kept = await store.remember({ text: "Tidewater Brewing moved its label deadline to the 20th.", collection: "exp" });
    const canonical = await store.remember({ text: "Lumen Architects review proofs on paper only.", collection: "exp", tier: "long" });
    expect((await store.get(fleeting.id))?.expiresAt).toBe(new Date(clock + 30 * DAY).toISOString());
    expect((await store.get(canonical.id))?.expiresAt).toBeUndefined();
    await store.promote(kept.id);
    clock += 31 * DAY;
    const ids = (await store.search("quote chalk bags label deadline proofs paper", { collection: "exp", k: 10 })).map((h) => h.id);
    expect(ids).not.toContain(fleeting.id);
    expect(ids).toEqual(expect.arrayContaining([kept.id, canonical.id]));
    expect((await store.get(kept.id))?.tier).toBe("long");
    // an expired memory no longer counts as a duplicate: the fact comes back as new
    const back = await store.remember({ text: "Quarry Climbing asked for a quote on chalk bags this week.", collection: "exp" });
    expect(back.action).toBe("inserted");
    expect(await store.purgeExpired()).toBe(1);
    expect(await store.get(fleeting.id)).toBeUndefined();
  });
});

describe("memory store: a table large enough for a vector index", () => {
  const tmp = tempDir("keel-memory-");
  afterAll(() => tmp.cleanup());

  it("builds the vector and scalar indexes once past the threshold and still finds the right documents", async () => {
    const store = new LanceMemoryStore({ dir: path.join(tmp.dir, "memory"), index: { vectorIndexMinRows: 60 } });
    try {
      await store.ingest(CORPUS, { collection: "studio" });
      const [t] = await store.allTables();
      expect((await t.table.listIndices()).map((i) => i.name).sort()).toEqual(["collection_idx", "id_idx", "text_idx", "tier_idx", "vector_idx"]);
      expect(files(await store.search("Saltmarsh menu typeface", { k: 3, collection: "studio" }))).toContain("clients/saltmarsh-oysters.md");
      expect(files(await store.search("When should we send the bakery its bills?", { k: 3, tier: "long" }))).toContain("clients/harbor-bakery.md");
      // writes after the index are found before the next refresh folds them in
      const r = await store.remember({ text: "Fernwood Yoga opens a third room in September.", collection: "studio", tier: "long" });
      expect((await store.search("Fernwood third room", { k: 1 }))[0].id).toBe(r.id);
    } finally {
      await store.close();
    }
  });
});
