/**
 * Hybrid search in one memory table: a vector search and a full-text (BM25) search run side by
 * side with the same filter, and their rankings are fused by reciprocal rank (RRF: each list
 * adds 1 / (60 + rank)), which needs no calibration between cosine and BM25 scores.
 */
import { ValidationError } from "../../runtime/errors.ts";
import type { MemoryHit } from "../../runtime/memory.ts";
import { citationOf, ITEM_COLUMNS, itemOf } from "./rows.ts";
import type { SpaceTable } from "./space-table.ts";
import { inList } from "./sql.ts";

/** The usual RRF constant: damps the weight of the very first ranks. */
export const RRF_K = 60;
/** Largest k a search may ask for. */
export const MAX_K = 100;

/** One search in a table. */
export interface SearchSpec {
  query: string;
  /** The embedded query; absent for text-only search. */
  vector?: Float32Array;
  mode: "hybrid" | "vector" | "text";
  k: number;
  /** Collection, tier and metadata filter (applied before ranking). */
  where?: string;
  /** Memories that expired at or before this epoch ms are left out. */
  aliveAt: number;
}

type Row = Record<string, unknown>;

/**
 * Each ranking fetches ids and scores only; the winners' columns are read afterwards in one
 * look-up by id. Reading every column for every candidate of both rankings, or filtering
 * expiry before ranking, each cost about as much as the searches themselves. Expired working
 * memories are dropped here (they are rare: maintenance purges them).
 */
export async function searchIn(table: SpaceTable, spec: SearchSpec): Promise<MemoryHit[]> {
  if (!Number.isInteger(spec.k) || spec.k < 1 || spec.k > MAX_K) throw new ValidationError(`memory search k must be an integer from 1 to ${MAX_K}, got ${spec.k}`);
  // Each list goes deeper than k so that fusion can lift an item both lists rank moderately.
  const depth = Math.max(20, spec.k * 3);
  const wantVector = spec.mode !== "text" && spec.vector !== undefined && spec.vector.some((x) => x !== 0);
  const wantText = spec.mode !== "vector" && spec.query.trim().length > 0;
  const [byVector, byText] = await Promise.all([
    wantVector ? vectorSearch(table, spec.vector!, depth, spec.where) : [],
    wantText ? textSearch(table, spec.query, depth, spec.where) : [],
  ]);
  const ranked = fuse(byVector, byText);
  const hits: MemoryHit[] = [];
  for (let from = 0; from < ranked.length && hits.length < spec.k; ) {
    // k and a little slack: reading a row's columns costs about as much as ranking it did
    const batch = ranked.slice(from, from + spec.k + 2);
    from += batch.length;
    const rows = new Map((await fetchRows(table, batch.map((r) => r.id))).map((row) => [String(row.id), row]));
    for (const r of batch) {
      const row = rows.get(r.id);
      if (!row || (row.expires_at !== null && row.expires_at !== undefined && Number(row.expires_at) <= spec.aliveAt)) continue;
      const item = itemOf(row);
      hits.push({ ...item, score: r.score, ...(r.similarity === undefined ? {} : { similarity: r.similarity }), matchedBy: r.matchedBy, citation: citationOf(item) });
      if (hits.length === spec.k) break;
    }
  }
  return hits;
}

async function vectorSearch(table: SpaceTable, vector: Float32Array, limit: number, where: string | undefined): Promise<Row[]> {
  let q = table.table.vectorSearch(vector).distanceType("cosine").select(["id", "_distance"]).limit(limit);
  const nprobes = await table.nprobes();
  if (nprobes !== undefined) q = q.nprobes(nprobes);
  if (where) q = q.where(where);
  return q.toArray();
}

async function textSearch(table: SpaceTable, query: string, limit: number, where: string | undefined): Promise<Row[]> {
  const state = await table.indexState();
  if (!state.fullText) return []; // an empty table has no full-text index yet
  let q = table.table.query().fullTextSearch(query, { columns: "text" }).select(["id", "_score"]).limit(limit);
  if (where) q = q.where(where);
  return q.toArray();
}

async function fetchRows(table: SpaceTable, ids: string[]): Promise<Row[]> {
  if (!ids.length) return [];
  return table.table.query().where(inList("id", ids)).select([...ITEM_COLUMNS]).limit(ids.length).toArray();
}

/** A candidate after fusion: its id, fused score and what found it. */
export interface Ranked {
  id: string;
  score: number;
  similarity?: number;
  matchedBy: Array<"vector" | "text">;
}

/** Reciprocal-rank fusion of the two rankings; ties go to the closer vector. */
export function fuse(byVector: Row[], byText: Row[]): Ranked[] {
  const ranked = new Map<string, Ranked>();
  const entry = (row: Row): Ranked => {
    const id = String(row.id);
    let r = ranked.get(id);
    if (!r) ranked.set(id, (r = { id, score: 0, matchedBy: [] }));
    return r;
  };
  byVector.forEach((row, rank) => {
    const r = entry(row);
    r.score += 1 / (RRF_K + rank + 1);
    r.similarity = round(1 - Number(row._distance));
    r.matchedBy.push("vector");
  });
  byText.forEach((row, rank) => {
    const r = entry(row);
    r.score += 1 / (RRF_K + rank + 1);
    r.matchedBy.push("text");
  });
  return [...ranked.values()]
    .map((r) => ({ ...r, score: round(r.score) }))
    .sort((a, b) => b.score - a.score || (b.similarity ?? -1) - (a.similarity ?? -1));
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
