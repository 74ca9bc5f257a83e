/**
 * The memory table's columns, and the conversions between stored rows and MemoryItems.
 * One table per embedding space (see tableNameOf); every table has the same columns, only the
 * vector width differs.
 */
import { createHash } from "node:crypto";
import * as arrow from "apache-arrow";
import type { EmbeddingSpace, MemoryItem, MemorySource, MemoryTier, MetadataValue } from "../../runtime/memory.ts";

/** A stored memory row, as written to and read from LanceDB. */
export interface MemoryRow {
  id: string;
  collection: string;
  tier: MemoryTier;
  text: string;
  /** "file" | "run" | "manual" */
  source_kind: string;
  /** file path (relative to the ingested folder), run id, or a manual note */
  source_ref: string;
  /** node id (run sources) or heading trail (file sources) */
  source_detail: string;
  created_at: number;
  updated_at: number;
  /** epoch ms; null for memories that do not expire */
  expires_at: number | null;
  /** metadata as JSON */
  metadata: string;
  /** "key=value" pairs of the metadata's top-level scalars (and array members), for filters */
  meta_kv: string[];
}

/** Every stored column but the vector: what rewriting a row (update, promote) reads. */
export const ROW_COLUMNS = [
  "id",
  "collection",
  "tier",
  "text",
  "source_kind",
  "source_ref",
  "source_detail",
  "created_at",
  "updated_at",
  "expires_at",
  "metadata",
  "meta_kv",
] as const;

/**
 * What search reads per hit: the item packed in `doc` (JSON, written beside the filterable
 * columns), so that a hit costs three column reads instead of eleven.
 */
export const HIT_COLUMNS = ["id", "text", "doc"] as const;

/** Schema metadata key holding the table's embedding space as JSON. */
export const SPACE_KEY = "keel.memory.space";

/** The Arrow schema of a memory table of an embedding space (its vectors have `space.dim` floats). */
export function memorySchema(space: EmbeddingSpace): arrow.Schema {
  const dim = space.dim;
  const utf8 = (name: string, nullable = false) => new arrow.Field(name, new arrow.Utf8(), nullable);
  return new arrow.Schema(
    [
      utf8("id"),
      utf8("collection"),
      utf8("tier"),
      utf8("text"),
      new arrow.Field("vector", new arrow.FixedSizeList(dim, new arrow.Field("item", new arrow.Float32(), true)), false),
      utf8("source_kind"),
      utf8("source_ref"),
      utf8("source_detail"),
      new arrow.Field("created_at", new arrow.Float64(), false),
      new arrow.Field("updated_at", new arrow.Float64(), false),
      new arrow.Field("expires_at", new arrow.Float64(), true),
      utf8("metadata"),
      new arrow.Field("meta_kv", new arrow.List(new arrow.Field("item", new arrow.Utf8(), true)), false),
      utf8("doc"),
    ],
    new Map([[SPACE_KEY, JSON.stringify({ provider: space.provider, model: space.model, dim: space.dim })]]),
  );
}

/** Every memory table's name starts with this. */
export const TABLE_PREFIX = "mem_";

/**
 * The table of an embedding space: readable, and unique per (provider, model, dim) thanks to a
 * short hash of the exact triple (two model names that sanitise alike still get two tables).
 */
export function tableNameOf(space: EmbeddingSpace): string {
  const slug = `${space.provider}_${space.model}`.replace(/[^A-Za-z0-9_.-]+/g, "-").slice(0, 60);
  const hash = createHash("sha256").update(`${space.provider}\0${space.model}\0${space.dim}`).digest("hex").slice(0, 8);
  return `${TABLE_PREFIX}${slug}_d${space.dim}_${hash}`;
}

/**
 * Builds an Arrow table from rows and their vectors, writing the column buffers directly
 * (apache-arrow's generic builders cost more than embedding the text does).
 */
export function toArrowTable(schema: arrow.Schema, rows: MemoryRow[], vectors: Float32Array[]): arrow.Table {
  const vectorType = schema.fields.find((f) => f.name === "vector")!.type as arrow.FixedSizeList;
  const dim = vectorType.listSize;
  const flat = new Float32Array(rows.length * dim);
  for (let i = 0; i < rows.length; i++) {
    if (vectors[i].length !== dim) throw new RangeError(`vector ${i} has ${vectors[i].length} floats, the table wants ${dim}`);
    flat.set(vectors[i], i * dim);
  }
  const n = rows.length;
  const columns: Record<string, arrow.Vector> = {};
  // in schema order: the Table constructor pairs columns with fields by position
  for (const f of schema.fields) {
    const key = f.name as keyof MemoryRow | "vector" | "doc";
    let data: arrow.Data;
    if (key === "vector") {
      data = arrow.makeData({ type: vectorType, length: n, nullCount: 0, child: arrow.makeData({ type: new arrow.Float32(), length: flat.length, data: flat }) });
    } else if (key === "meta_kv") {
      const offsets = new Int32Array(n + 1);
      const items: string[] = [];
      rows.forEach((r, i) => {
        items.push(...r.meta_kv);
        offsets[i + 1] = items.length;
      });
      data = arrow.makeData({ type: f.type as arrow.List<arrow.Utf8>, length: n, nullCount: 0, valueOffsets: offsets, child: utf8Data(items) });
    } else if (f.type instanceof arrow.Float64) {
      const values = new Float64Array(n);
      let nullBitmap: Uint8Array | undefined;
      let nullCount = 0;
      rows.forEach((r, i) => {
        const v = r[key as keyof MemoryRow] as number | null;
        if (v === null) {
          nullBitmap ??= new Uint8Array(Math.ceil(n / 8)).fill(0xff);
          nullBitmap[i >> 3] &= ~(1 << (i & 7));
          nullCount++;
        } else values[i] = v;
      });
      data = arrow.makeData({ type: f.type, length: n, nullCount, data: values, ...(nullBitmap ? { nullBitmap } : {}) });
    } else if (f.name === "doc") {
      data = utf8Data(rows.map(docOf));
    } else {
      data = utf8Data(rows.map((r) => r[key as keyof MemoryRow] as string));
    }
    columns[f.name] = arrow.makeVector(data);
  }
  return new arrow.Table(schema, columns);
}

/** A non-null Utf8 column: one buffer of bytes and the offsets into it. */
function utf8Data(values: string[]): arrow.Data<arrow.Utf8> {
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    total += Buffer.byteLength(values[i], "utf8");
    offsets[i + 1] = total;
  }
  const bytes = Buffer.allocUnsafe(total);
  for (let i = 0; i < values.length; i++) bytes.write(values[i], offsets[i], "utf8");
  return arrow.makeData({ type: new arrow.Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data: new Uint8Array(bytes.buffer, bytes.byteOffset, total) });
}

/** The filterable "key=value" strings of a metadata object. */
export function metadataPairs(metadata: Record<string, MetadataValue>): string[] {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) if (v !== null && typeof v !== "object") pairs.push(`${key}=${String(v)}`);
  }
  return pairs;
}

/** Source columns of a MemorySource. */
export function sourceColumns(source: MemorySource): Pick<MemoryRow, "source_kind" | "source_ref" | "source_detail"> {
  switch (source.kind) {
    case "file":
      return { source_kind: "file", source_ref: source.file, source_detail: source.heading ?? "" };
    case "run":
      return { source_kind: "run", source_ref: source.runId, source_detail: source.nodeId };
    default:
      return { source_kind: "manual", source_ref: source.note ?? "", source_detail: "" };
  }
}

/** The packed item of a row (everything a hit shows but id and text). */
function docOf(row: MemoryRow): string {
  return JSON.stringify([row.collection, row.tier, row.source_kind, row.source_ref, row.source_detail, row.created_at, row.updated_at, row.expires_at, row.metadata]);
}

/** A hit's row (id, text, doc) or a full row, as a MemoryItem. */
export function itemOf(row: Record<string, unknown>): MemoryItem {
  if (typeof row.doc === "string") {
    const [collection, tier, source_kind, source_ref, source_detail, created_at, updated_at, expires_at, metadata] = JSON.parse(row.doc) as unknown[];
    return itemOfColumns({ id: row.id, text: row.text, collection, tier, source_kind, source_ref, source_detail, created_at, updated_at, expires_at, metadata });
  }
  return itemOfColumns(row);
}

/** When a hit's memory expires (epoch ms), or null. */
export function expiryOf(row: Record<string, unknown>): number | null {
  const expires = typeof row.doc === "string" ? (JSON.parse(row.doc) as unknown[])[7] : row.expires_at;
  return expires === null || expires === undefined ? null : Number(expires);
}

function itemOfColumns(row: Record<string, unknown>): MemoryItem {
  const expires = row.expires_at as number | null | undefined;
  return {
    id: String(row.id),
    collection: String(row.collection),
    tier: row.tier === "long" ? "long" : "working",
    text: String(row.text),
    source: sourceOf(String(row.source_kind), String(row.source_ref ?? ""), String(row.source_detail ?? "")),
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
    ...(expires === null || expires === undefined ? {} : { expiresAt: new Date(Number(expires)).toISOString() }),
    metadata: parseMetadata(row.metadata),
  };
}

function sourceOf(kind: string, ref: string, detail: string): MemorySource {
  if (kind === "file") return detail ? { kind: "file", file: ref, heading: detail } : { kind: "file", file: ref };
  if (kind === "run") return { kind: "run", runId: ref, nodeId: detail };
  return ref ? { kind: "manual", note: ref } : { kind: "manual" };
}

function parseMetadata(value: unknown): Record<string, MetadataValue> {
  try {
    const parsed = JSON.parse(String(value ?? "{}"));
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** A short reference to a memory's origin for a draft to cite. */
export function citationOf(item: MemoryItem): string {
  const s = item.source;
  if (s.kind === "file") return s.heading ? `${s.file} § ${s.heading}` : s.file;
  if (s.kind === "run") return `run ${s.runId} node ${s.nodeId}`;
  return s.note ? `manual: ${s.note}` : `manual ${item.id}`;
}

/** A row back into the shape that is written (for rewriting one: update, promote). */
export function rowOf(row: Record<string, unknown>): MemoryRow {
  return {
    id: String(row.id),
    collection: String(row.collection),
    tier: row.tier === "long" ? "long" : "working",
    text: String(row.text),
    source_kind: String(row.source_kind),
    source_ref: String(row.source_ref ?? ""),
    source_detail: String(row.source_detail ?? ""),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
    expires_at: row.expires_at === null || row.expires_at === undefined ? null : Number(row.expires_at),
    metadata: String(row.metadata ?? "{}"),
    meta_kv: Array.isArray(row.meta_kv) ? row.meta_kv.map(String) : toStrings(row.meta_kv),
  };
}

function toStrings(value: unknown): string[] {
  // LanceDB returns list columns as Arrow vectors; they iterate like arrays
  if (value && typeof value === "object" && Symbol.iterator in value) return Array.from(value as Iterable<unknown>, String);
  return [];
}

/** Reads a vector column value (Arrow vector or array) as a Float32Array. */
export function vectorOf(value: unknown): Float32Array {
  if (value instanceof Float32Array) return value;
  if (value && typeof value === "object" && "toArray" in value) return Float32Array.from((value as { toArray(): ArrayLike<number> }).toArray());
  return Float32Array.from(value as ArrayLike<number>);
}
