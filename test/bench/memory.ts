/**
 * memory: LanceDB memory with the local hashed embedder, on synthetic chunks.
 * - Ingest rate (chunks/s) for 10,000 and 100,000 chunks through the whole ingest path
 *   (chunking, content-hash ids, embedding, Arrow, writes, index upkeep). Baseline in the same
 *   run: the embedding alone over the same chunks (the floor of the work).
 * - Search latency p50/p95 at 100,000 chunks: hybrid with the IVF vector index, hybrid with an
 *   exact vector scan (index dropped), each part alone, beside a brute-force exact cosine scan in
 *   plain JS over the same vectors. Recall@10 of the chunk each query was made from.
 * Goals: ingest ≥ 5,000 chunks/s; hybrid search p50 < 10 ms at 100,000 chunks.
 * `npm run bench memory -- --quick` stops after 10,000 chunks (half a minute instead of a few).
 */
import os from "node:os";
import path from "node:path";
import { hashedEmbedding, LOCAL_EMBEDDING_DIM } from "../../runtime/models/local/embedding.ts";
import { localMemoryEmbedder } from "../../runtime/memory.ts";
import { ingestDocuments, type IngestDocument } from "../../storage/memory/ingest.ts";
import { LanceMemoryStore } from "../../storage/memory/store.ts";
import { tempDir } from "../support/keel.ts";
import { heading, percentile, report } from "./util.ts";

/** A seeded generator (mulberry32): the same corpus on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = "ka lo mi ra tu ve sen dor pli qua bri zen mo ta li ne cas fen gor hul jin kor lun mar nob pes rin sul tov wen".split(" ");

/**
 * Synthetic business-like text: 600 topics (a client, a project…) of 30 words each, over a
 * general vocabulary; a chunk takes about half its words from its topic, so chunks of one
 * topic resemble each other the way notes about one client do.
 */
function corpus(seed: number) {
  const rnd = random(seed);
  const word = () => Array.from({ length: 2 + Math.floor(rnd() * 3) }, () => SYLLABLES[Math.floor(rnd() * SYLLABLES.length)]).join("");
  const general = Array.from({ length: 4000 }, word);
  const topics = Array.from({ length: 600 }, () => Array.from({ length: 30 }, word));
  const chunk = (topic: number) => {
    const words: string[] = [];
    for (let i = 0; i < 70; i++) words.push(rnd() < 0.5 ? topics[topic][Math.floor(rnd() * 30)] : general[Math.floor(rnd() ** 2 * general.length)]);
    return `${words.join(" ")}.`;
  };
  return { rnd, topics, chunk };
}

/** `count` chunks as documents of 10 paragraphs (one chunk each), a topic per document. */
function documents(count: number, seed: number): { docs: IngestDocument[]; paragraphs: string[] } {
  const { rnd, topics, chunk } = corpus(seed);
  const docs: IngestDocument[] = [];
  const paragraphs: string[] = [];
  for (let d = 0; d * 10 < count; d++) {
    const topic = Math.floor(rnd() * topics.length);
    const ps = Array.from({ length: Math.min(10, count - d * 10) }, () => chunk(topic));
    paragraphs.push(...ps);
    docs.push({ file: `synthetic/doc-${d}.md`, text: ps.join("\n\n") });
  }
  return { docs, paragraphs };
}

async function ingestRate(count: number): Promise<{ store: LanceMemoryStore; paragraphs: string[]; cleanup: () => void }> {
  const { docs, paragraphs } = documents(count, count);
  const tmp = tempDir("keel-bench-memory-");
  const store = new LanceMemoryStore({ dir: path.join(tmp.dir, "memory") });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await ingestDocuments(store, docs, { collection: "bench", embedder: localMemoryEmbedder, batchSize: 1024, maintain: false });
  const writeSeconds = (performance.now() - t0) / 1000;
  const built = await store.maintain();
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSince(c0) / 1000;
  if (r.chunksAdded !== count) throw new Error(`ingested ${r.chunksAdded} chunks, expected ${count}`);

  const b0 = performance.now();
  for (const p of paragraphs) hashedEmbedding(p);
  const embedSeconds = (performance.now() - b0) / 1000;
  report(`ingest ${count.toLocaleString("en")} chunks, indexes included`, count / seconds, "chunks/s", `goal ≥ 5,000 · ${seconds.toFixed(1)} s · ${Math.round(count / cpuSeconds)} chunks per CPU-second (all threads)`);
  report("  of which chunk + embed + write", count / writeSeconds, "chunks/s", `${writeSeconds.toFixed(1)} s; then index build ${(seconds - writeSeconds).toFixed(1)} s (${built.map((b) => b.replace(/^[^:]*: /, "")).join(", ")})`);
  report("  baseline: local embedding alone", count / embedSeconds, "chunks/s", `ingest = ${((count / seconds / (count / embedSeconds)) * 100).toFixed(0)}% of it`);
  return { store, paragraphs, cleanup: tmp.cleanup };
}

/** Queries made from stored chunks: 8 consecutive words, 2 of them swapped for other words. */
function queries(paragraphs: string[], n: number): Array<{ text: string; source: number }> {
  const rnd = random(7);
  return Array.from({ length: n }, () => {
    const source = Math.floor(rnd() * paragraphs.length);
    const words = paragraphs[source].replace(/\.$/, "").split(" ");
    const start = Math.floor(rnd() * (words.length - 8));
    const picked = words.slice(start, start + 8);
    for (let j = 0; j < 2; j++) picked[Math.floor(rnd() * 8)] = words[Math.floor(rnd() * words.length)];
    return { text: picked.join(" "), source };
  });
}

async function latency(label: string, qs: Array<{ text: string; source: number }>, run: (q: string) => Promise<string[]>, sourceText: (i: number) => string, note = "") {
  for (const q of qs.slice(0, 10)) await run(q.text); // warm up
  const times: number[] = [];
  const cpu: number[] = [];
  let found = 0;
  for (const q of qs) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const texts = await run(q.text);
    cpu.push(cpuSince(c0));
    times.push(performance.now() - t0);
    if (texts.some((t) => t.endsWith(sourceText(q.source)))) found++;
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  report(label, percentile(times, 50), "ms p50", `p95 ${percentile(times, 95).toFixed(2)} ms · CPU p50 ${percentile(cpu, 50).toFixed(2)} ms · recall@10 ${(found / qs.length).toFixed(2)}${note ? ` · ${note}` : ""}`);
}

async function searchLatency(store: LanceMemoryStore, paragraphs: string[]): Promise<void> {
  const qs = queries(paragraphs, 200);
  const text = (i: number) => paragraphs[i];
  const [table] = await store.allTables();
  const k = 10;
  const hybrid = async (q: string) => (await store.search(q, { k })).map((h) => h.text);
  const vector = async (q: string) => (await store.search(q, { k, mode: "vector" })).map((h) => h.text);
  const fts = async (q: string) => (await store.search(q, { k, mode: "text" })).map((h) => h.text);

  const ix = await table.indexState();
  await latency("hybrid search, IVF vector index", qs, hybrid, text, `goal p50 < 10 ms · ${ix.partitions} partitions, ${await table.nprobes({ hybrid: true })} probed (${await table.nprobes()} when the vector search runs alone)`);
  await latency("  vector part alone (IVF)", qs, vector, text);
  await latency("  full-text part alone (BM25 index)", qs, fts, text);

  await table.table.dropIndex("vector_idx");
  table.invalidate();
  await latency("hybrid search, exact vector scan (no index)", qs, hybrid, text);
  await latency("  vector part alone (exact scan)", qs, vector, text);

  // baseline: what memory search would cost without a database, exact cosine over every vector in JS
  const ids: string[] = [];
  const all = new Float32Array(paragraphs.length * LOCAL_EMBEDDING_DIM);
  let n = 0;
  for await (const batch of table.table.query().select(["text", "vector"])) {
    const texts = batch.getChild("text")!;
    const vectors = batch.getChild("vector")!;
    for (let i = 0; i < batch.numRows; i++, n++) {
      ids.push(String(texts.get(i)));
      all.set(vectors.get(i)!.toArray() as Float32Array, n * LOCAL_EMBEDDING_DIM);
    }
  }
  const bruteForce = async (q: string) => {
    const v = hashedEmbedding(q);
    const top: Array<{ i: number; s: number }> = [];
    for (let r = 0; r < n; r++) {
      let dot = 0;
      const base = r * LOCAL_EMBEDDING_DIM;
      for (let d = 0; d < LOCAL_EMBEDDING_DIM; d++) dot += v[d] * all[base + d];
      if (top.length < k || dot > top[top.length - 1].s) {
        top.push({ i: r, s: dot });
        top.sort((a, b) => b.s - a.s);
        if (top.length > k) top.pop();
      }
    }
    return top.map((t) => ids[t.i]);
  };
  await latency("baseline: brute-force exact cosine in JS", qs, bruteForce, text, `${n.toLocaleString("en")} vectors in memory`);
}

/** CPU milliseconds (user + system, every thread of the process) since `start`. */
function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

export async function benchMemory(): Promise<void> {
  const quick = process.argv.includes("--quick");
  heading(`memory — LanceDB + local hashed embeddings (${LOCAL_EMBEDDING_DIM} dims), synthetic chunks of ~500 characters`);
  // wall-clock figures suffer when other work shares the cores; CPU time much less so
  console.log(`  load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} on ${os.cpus().length} cores`);
  const small = await ingestRate(10_000);
  if (quick) await searchLatency(small.store, small.paragraphs);
  await small.store.close();
  small.cleanup();
  if (quick) return;
  const large = await ingestRate(100_000);
  try {
    heading("memory — search at 100,000 chunks, k = 10, 200 queries (8 words from a chunk, 2 swapped)");
    await searchLatency(large.store, large.paragraphs);
  } finally {
    await large.store.close();
    large.cleanup();
  }
}
