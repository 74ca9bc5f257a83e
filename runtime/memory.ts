/**
 * The memory door: what a node sees of Keel's memory (storage/memory implements it on LanceDB).
 * Two tiers: `long` (canonical records: ingested documents, promoted facts) and `working`
 * (condensed recent facts that expire unless promoted).
 *
 * Embeddings: every vector lives in the table of the embedding space that made it
 * (provider + model + dimension), so vectors of different models are never compared. A flow
 * embeds through `ctx.models.embed` (the configured provider); without one, the built-in local
 * hashed embedder is used.
 */
import { LOCAL_EMBEDDING_DIM, LOCAL_EMBEDDING_MODEL, hashedEmbeddings } from "./models/local/embedding.ts";
import type { ModelsDoor } from "./models/types.ts";

/** The two memory tiers. */
export const MEMORY_TIERS = ["working", "long"] as const;
/** `working`: recent facts that expire; `long`: canonical records. */
export type MemoryTier = (typeof MEMORY_TIERS)[number];

/** Working memories expire this many days after they were last written, unless promoted. */
export const DEFAULT_WORKING_TTL_DAYS = 30;
/** `remember` updates an existing memory instead of inserting when their cosine is at least this. */
export const DEFAULT_DUPLICATE_THRESHOLD = 0.9;
/** The collection used when none is named. */
export const DEFAULT_COLLECTION = "default";

/** Where a memory came from, for citations. */
export type MemorySource =
  | { kind: "file"; file: string; heading?: string }
  | { kind: "run"; runId: string; nodeId: string }
  | { kind: "manual"; note?: string };

/** Metadata values that filters can match (arrays match when they contain the value). */
export type MetadataValue = string | number | boolean | null | MetadataValue[] | { [key: string]: MetadataValue };

/** One stored memory. Timestamps are ISO strings. */
export interface MemoryItem {
  id: string;
  collection: string;
  tier: MemoryTier;
  text: string;
  source: MemorySource;
  createdAt: string;
  updatedAt: string;
  expiresAt?: string;
  metadata: Record<string, MetadataValue>;
}

/** A search result: the memory, its fused score, and a citation a draft can quote. */
export interface MemoryHit extends MemoryItem {
  /** Reciprocal-rank fusion of the vector and full-text rankings (higher is better). */
  score: number;
  /** Cosine similarity to the query, when the vector search found it. */
  similarity?: number;
  /** Which searches found it. */
  matchedBy: Array<"vector" | "text">;
  /** A short human-readable reference: "clients/harbor.md § Billing", "run r-… node n". */
  citation: string;
}

/** Equality filters on top-level metadata keys (scalars; arrays match by membership). */
export type MetadataFilter = Record<string, string | number | boolean>;

/** How to search memory. */
export interface MemorySearchOptions {
  /** How many results (default 5, at most 100). */
  k?: number;
  collection?: string;
  tier?: MemoryTier;
  metadata?: MetadataFilter;
  /** `hybrid` (default) fuses vector and full-text search; the others use one of them. */
  mode?: "hybrid" | "vector" | "text";
  signal?: AbortSignal;
}

/** A memory to write. */
export interface RememberInput {
  text: string;
  collection?: string;
  /** Default `working`. */
  tier?: MemoryTier;
  metadata?: Record<string, MetadataValue>;
  /** Default: the run and node writing it (in a flow), or manual. */
  source?: MemorySource;
  /** Working memories only: days until it expires (default 30). */
  ttlDays?: number;
  /** The id to use when it is inserted (e.g. derived from an idempotency key); random otherwise. */
  id?: string;
  /** Cosine at or above which an existing memory of the same collection is updated instead (default 0.9). */
  duplicateThreshold?: number;
  signal?: AbortSignal;
}

/** What `remember` did: inserted a new memory, updated a near-duplicate, or found it already there. */
export interface RememberResult {
  id: string;
  action: "inserted" | "updated" | "skipped";
  /** Cosine to the near-duplicate that was updated or skipped. */
  similarity?: number;
  /** The text the updated memory held before. */
  previousText?: string;
}

/** Long-term and working memory, as a node reaches it through `ctx.memory`. */
export interface MemoryDoor {
  search(query: string, options?: MemorySearchOptions): Promise<MemoryHit[]>;
  remember(input: RememberInput): Promise<RememberResult>;
  get(id: string): Promise<MemoryItem | undefined>;
  /** Removes a memory; false when there was none with that id. */
  forget(id: string): Promise<boolean>;
  /** Moves a working memory to `long` (it no longer expires). */
  promote(id: string): Promise<MemoryItem | undefined>;
}

/** Which embedding model made a vector: vectors are comparable only within one space. */
export interface EmbeddingSpace {
  provider: string;
  model: string;
  dim: number;
}

/** Turns texts into vectors and says which space they belong to. */
export interface Embedder {
  /** Known in advance for fixed embedders (the local one); otherwise learnt from the first call. */
  readonly space?: EmbeddingSpace;
  embed(texts: string[], options?: { signal?: AbortSignal }): Promise<{ vectors: Float32Array[]; space: EmbeddingSpace }>;
}

/** The space of the built-in local embedder. */
export const LOCAL_EMBEDDING_SPACE: EmbeddingSpace = { provider: "local", model: LOCAL_EMBEDDING_MODEL, dim: LOCAL_EMBEDDING_DIM };

/** The built-in local hashed embedder: no network, deterministic. */
export const localMemoryEmbedder: Embedder = {
  space: LOCAL_EMBEDDING_SPACE,
  async embed(texts) {
    return { vectors: hashedEmbeddings(texts, LOCAL_EMBEDDING_DIM), space: LOCAL_EMBEDDING_SPACE };
  },
};

/** An embedder that goes through the models door, so the configured provider (and its trace and bill) is used. */
export function modelsEmbedder(models: Pick<ModelsDoor, "embed">): Embedder {
  return {
    async embed(texts, options) {
      const result = await models.embed({ texts, ...(options?.signal ? { signal: options.signal } : {}) });
      return { vectors: result.vectors, space: { provider: result.provider, model: result.model, dim: result.dim } };
    },
  };
}
