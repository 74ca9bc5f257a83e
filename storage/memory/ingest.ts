/**
 * Ingest: documents are chunked (chunk.ts), each chunk gets an id from a hash of its collection,
 * file and text, and the table is brought to match: chunks already stored are kept (and not
 * embedded again), new ones are embedded in batches and added, chunks the file no longer has
 * are deleted. Re-ingesting an unchanged file therefore writes nothing; a changed file has its
 * old chunks replaced, paying only for the chunks that changed.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ValidationError } from "../../runtime/errors.ts";
import { DEFAULT_WORKING_TTL_DAYS, type Embedder, type EmbeddingSpace, type MemoryTier, type MetadataValue } from "../../runtime/memory.ts";
import { chunkDocument, type ChunkOptions } from "./chunk.ts";
import { pdfText } from "./pdf-text.ts";
import { metadataPairs, type MemoryRow } from "./rows.ts";
import type { SpaceTable } from "./space-table.ts";
import { literal } from "./sql.ts";

/** File names ingested from a folder. */
export const INGEST_EXTENSIONS = [".md", ".markdown", ".txt", ".pdf"];
/** Larger files are skipped (and reported); a PDF's bytes are mostly not text, so it may be larger. */
export const MAX_INGEST_FILE_BYTES = 5 * 1024 * 1024;
export const MAX_INGEST_PDF_BYTES = 50 * 1024 * 1024;

/** How to ingest. */
export interface IngestOptions {
  /** Default: the folder's name (documents: "default"). */
  collection?: string;
  /** Default `long`: documents are canonical records. */
  tier?: MemoryTier;
  /** Added to every chunk's metadata (beside `file`). */
  metadata?: Record<string, MetadataValue>;
  chunk?: ChunkOptions;
  /** Also delete the chunks of files that are no longer in the folder (default false). */
  prune?: boolean;
  /** Build or refresh the indexes when done (default true; bulk loads may do it once at the end with `maintain()`). */
  maintain?: boolean;
  /** Texts per embedding call (default 256). */
  batchSize?: number;
  onProgress?: (progress: IngestProgress) => void;
  signal?: AbortSignal;
}

/** Progress, reported after each embedded batch. */
export interface IngestProgress {
  filesTotal: number;
  /** Chunks that need embedding in this ingest, and how many are done. */
  chunksTotal: number;
  chunksDone: number;
}

/** What an ingest did. */
export interface IngestReport {
  collection: string;
  table: string;
  files: number;
  /** Files whose chunks were all stored already. */
  unchanged: number;
  /** Files seen before whose chunks changed. */
  changed: number;
  /** Files seen for the first time. */
  added: number;
  /** Files gone from the folder whose chunks were deleted (prune). */
  removed: number;
  chunksAdded: number;
  chunksRemoved: number;
  chunksKept: number;
  skipped: Array<{ file: string; reason: string }>;
  ms: number;
}

/** A document to ingest: its path (the citation) and text. */
export interface IngestDocument {
  file: string;
  text: string;
}

/** What ingest needs of the store. */
export interface IngestTarget {
  spaceTable(space: EmbeddingSpace, options: { create: boolean }): Promise<SpaceTable | undefined>;
  now: () => number;
}

/** Reads a folder's .md/.txt/.pdf files (recursively, skipping hidden ones) and ingests them. */
export async function ingestFolder(target: IngestTarget, dir: string, options: IngestOptions & { embedder: Embedder }): Promise<IngestReport> {
  const root = path.resolve(dir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(root);
  } catch {
    throw new ValidationError(`ingest: ${dir}: no such folder`);
  }
  if (!stat.isDirectory()) throw new ValidationError(`ingest: ${dir}: not a folder`);
  const docs: IngestDocument[] = [];
  const skipped: IngestReport["skipped"] = [];
  for (const file of listFiles(root)) {
    const rel = path.relative(root, file).split(path.sep).join("/");
    const size = fs.statSync(file).size;
    const limit = path.extname(file).toLowerCase() === ".pdf" ? MAX_INGEST_PDF_BYTES : MAX_INGEST_FILE_BYTES;
    if (size > limit) {
      skipped.push({ file: rel, reason: `${size} bytes is over the ${limit}-byte limit` });
      continue;
    }
    const text = await readDocument(file, rel, skipped);
    if (text !== undefined) docs.push({ file: rel, text });
  }
  const collection = options.collection ?? (collectionName(path.basename(root)) || "default");
  const report = await ingestDocuments(target, docs, { ...options, collection });
  return { ...report, skipped: [...skipped, ...report.skipped] };
}

/** Ingests documents into a collection: the part of ingest that does not touch the file system. */
export async function ingestDocuments(target: IngestTarget, docs: IngestDocument[], options: IngestOptions & { embedder: Embedder }): Promise<IngestReport> {
  const started = performance.now();
  const collection = options.collection ?? "default";
  const tier = options.tier ?? "long";
  const batchSize = Math.max(1, options.batchSize ?? 256);
  const embedder = options.embedder;
  const space = embedder.space ?? (await embedder.embed(["space probe"], { signal: options.signal })).space;
  const table = (await target.spaceTable(space, { create: true }))!;

  return table.exclusive(async () => {
    const stored = await storedChunks(table, collection);
    const now = target.now();
    const report: IngestReport = { collection, table: table.name, files: docs.length, unchanged: 0, changed: 0, added: 0, removed: 0, chunksAdded: 0, chunksRemoved: 0, chunksKept: 0, skipped: [], ms: 0 };
    const toEmbed: MemoryRow[] = [];
    const toDelete: string[] = [];
    const seenFiles = new Set<string>();
    for (const doc of docs) {
      if (seenFiles.has(doc.file)) throw new ValidationError(`ingest: the file ${doc.file} is given twice`);
      seenFiles.add(doc.file);
      const before = stored.get(doc.file) ?? new Set<string>();
      const metadata = { ...options.metadata, file: doc.file };
      const rows = chunkRows(collection, doc, { tier, now, metadata, chunk: options.chunk });
      const ids = new Set(rows.map((r) => r.id));
      const fresh = rows.filter((r) => !before.has(r.id));
      const stale = [...before].filter((id) => !ids.has(id));
      if (!stored.has(doc.file)) report.added++;
      else if (fresh.length || stale.length) report.changed++;
      else report.unchanged++;
      toEmbed.push(...fresh);
      toDelete.push(...stale);
      report.chunksKept += rows.length - fresh.length;
    }
    if (options.prune) {
      for (const [file, ids] of stored) {
        if (seenFiles.has(file)) continue;
        report.removed++;
        toDelete.push(...ids);
      }
    }

    const progress = { filesTotal: docs.length, chunksTotal: toEmbed.length, chunksDone: 0 };
    options.onProgress?.(progress);
    // Writes overlap with embedding: LanceDB writes one batch on its own threads while the
    // next batch is embedded here (at most one write in flight).
    const pending: { rows: MemoryRow[]; vectors: Float32Array[] } = { rows: [], vectors: [] };
    let writing: Promise<void> = Promise.resolve();
    const flush = async () => {
      await writing;
      writing = table.add(pending.rows, pending.vectors);
      writing.catch(() => {}); // awaited (and thrown) at the next flush or at the end
      pending.rows = [];
      pending.vectors = [];
    };
    for (let i = 0; i < toEmbed.length; i += batchSize) {
      options.signal?.throwIfAborted();
      const batch = toEmbed.slice(i, i + batchSize);
      const embedded = await embedder.embed(batch.map((r) => r.text), { signal: options.signal });
      if (embedded.space.dim !== space.dim || embedded.space.model !== space.model || embedded.space.provider !== space.provider) {
        throw new ValidationError(`ingest: the embedder changed from ${describe(space)} to ${describe(embedded.space)} during the ingest`);
      }
      pending.rows.push(...batch);
      pending.vectors.push(...embedded.vectors);
      if (pending.rows.length >= 4096) await flush();
      progress.chunksDone += batch.length;
      options.onProgress?.({ ...progress });
    }
    await flush();
    await writing;
    // deleted after the new chunks are in: a crash half-way leaves extra chunks, never missing ones
    await table.deleteIds(toDelete);
    report.chunksAdded = toEmbed.length;
    report.chunksRemoved = toDelete.length;
    if ((toEmbed.length || toDelete.length) && options.maintain !== false) await table.maintain();
    report.ms = Math.round(performance.now() - started);
    return report;
  });
}

/** The chunks of one document as rows (without vectors); ids are content hashes. */
function chunkRows(
  collection: string,
  doc: IngestDocument,
  opts: { tier: MemoryTier; now: number; metadata: Record<string, MetadataValue>; chunk?: ChunkOptions },
): MemoryRow[] {
  const metadata = JSON.stringify(opts.metadata);
  const pairs = metadataPairs(opts.metadata);
  const occurrences = new Map<string, number>();
  return chunkDocument(doc.text, opts.chunk).map((chunk) => {
    const n = occurrences.get(chunk.text) ?? 0; // the same text twice in a file: two ids
    occurrences.set(chunk.text, n + 1);
    const id = `f_${createHash("sha256").update(`${collection}\0${doc.file}\0${n}\0${chunk.text}`).digest("hex").slice(0, 32)}`;
    return {
      id,
      collection,
      tier: opts.tier,
      text: chunk.text,
      source_kind: "file",
      source_ref: doc.file,
      source_detail: chunk.heading,
      created_at: opts.now,
      updated_at: opts.now,
      expires_at: opts.tier === "long" ? null : opts.now + DEFAULT_WORKING_TTL_DAYS * 86_400_000,
      metadata,
      meta_kv: pairs,
    };
  });
}

/** Ids of the file chunks stored in a collection, by file. */
async function storedChunks(table: SpaceTable, collection: string): Promise<Map<string, Set<string>>> {
  const byFile = new Map<string, Set<string>>();
  const query = table.table.query().where(`collection = ${literal(collection)} AND source_kind = 'file'`).select(["id", "source_ref"]);
  for await (const batch of query) {
    const ids = batch.getChild("id")!;
    const files = batch.getChild("source_ref")!;
    for (let i = 0; i < batch.numRows; i++) {
      const file = String(files.get(i));
      let set = byFile.get(file);
      if (!set) byFile.set(file, (set = new Set()));
      set.add(String(ids.get(i)));
    }
  }
  return byFile;
}

/** A file's text, or undefined when it is skipped (the reason is added to `skipped`). */
async function readDocument(file: string, rel: string, skipped: IngestReport["skipped"]): Promise<string | undefined> {
  if (path.extname(file).toLowerCase() === ".pdf") {
    let text: string;
    try {
      text = await pdfText(fs.readFileSync(file), rel);
    } catch (e) {
      skipped.push({ file: rel, reason: (e as Error).message.replace(`${rel}: `, "") });
      return undefined;
    }
    if (!text.trim()) skipped.push({ file: rel, reason: "no text layer (a scanned PDF needs OCR first)" });
    return text.trim() ? text : undefined;
  }
  const text = fs.readFileSync(file, "utf8");
  if (text.includes("\u0000")) {
    skipped.push({ file: rel, reason: "binary content" });
    return undefined;
  }
  return text;
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && INGEST_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) out.push(full);
    }
  };
  walk(root);
  return out;
}

/** A collection name from a folder name: letters, digits, dashes. */
export function collectionName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
}

function describe(space: EmbeddingSpace): string {
  return `${space.provider}/${space.model} (${space.dim} dims)`;
}
