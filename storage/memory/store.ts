/**
 * Keel's memory on LanceDB, under `<data>/memory`: one table per embedding space (provider,
 * model, dimension), all collections and both tiers in it. Opening is cheap and synchronous;
 * the database is connected on first use.
 */
import fs from "node:fs";
import * as lancedb from "@lancedb/lancedb";
import { KeelError, ValidationError } from "../../runtime/errors.ts";
import {
  localMemoryEmbedder,
  type Embedder,
  type EmbeddingSpace,
  type MemoryHit,
  type MemoryItem,
  type MemorySearchOptions,
  type MemorySource,
  type RememberInput,
  type RememberResult,
} from "../../runtime/memory.ts";
import { ingestFolder, type IngestOptions, type IngestReport } from "./ingest.ts";
import { rememberIn } from "./remember.ts";
import { itemOf, memorySchema, ROW_COLUMNS, rowOf, SPACE_KEY, TABLE_PREFIX, tableNameOf, vectorOf } from "./rows.ts";
import { searchIn } from "./search.ts";
import { DEFAULT_INDEX_POLICY, SpaceTable, type IndexPolicy } from "./space-table.ts";
import { literal, wherePredicate } from "./sql.ts";

/** Options for a memory store. */
export interface MemoryStoreOptions {
  /** The folder holding the LanceDB tables (`<data>/memory`). */
  dir: string;
  /** Default embedder (the local hashed one unless set). */
  embedder?: Embedder;
  /** The clock (epoch ms); tests move it to expire working memories. */
  now?: () => number;
  index?: Partial<IndexPolicy>;
}

/** Per-call overrides: a node's door passes its own embedder (ctx.models) and source. */
export interface CallOptions {
  embedder?: Embedder;
  source?: MemorySource;
}

/** Counts for `keel memory stats`. */
export interface MemoryStats {
  tables: Array<{
    table: string;
    space: EmbeddingSpace;
    rows: number;
    expired: number;
    collections: Record<string, { working: number; long: number }>;
    indexes: { fullText: boolean; vector: boolean; unindexedRows: number };
  }>;
}


export class LanceMemoryStore {
  readonly dir: string;
  readonly embedder: Embedder;
  readonly now: () => number;
  private readonly policy: IndexPolicy;
  private connection: Promise<lancedb.Connection> | undefined;
  private readonly tables = new Map<string, Promise<SpaceTable>>();
  private closed = false;

  constructor(options: MemoryStoreOptions) {
    this.dir = options.dir;
    this.embedder = options.embedder ?? localMemoryEmbedder;
    this.now = options.now ?? Date.now;
    this.policy = { ...DEFAULT_INDEX_POLICY, ...options.index };
  }

  private db(): Promise<lancedb.Connection> {
    if (this.closed) throw new KeelError("INTERNAL", "the memory store is closed");
    if (!this.connection) {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      // reads notice writes by other processes (e.g. `keel memory ingest` beside a running server) within a second
      this.connection = lancedb.connect(this.dir, { readConsistencyInterval: 1 });
    }
    return this.connection;
  }

  /** The table of an embedding space; created (empty) when `create` is set, else undefined if absent. */
  async spaceTable(space: EmbeddingSpace, options: { create: boolean }): Promise<SpaceTable | undefined> {
    const name = tableNameOf(space);
    const cached = this.tables.get(name);
    if (cached) return cached;
    const db = await this.db();
    const exists = (await db.tableNames()).includes(name);
    if (!exists && !options.create) return undefined;
    const opening = (async () => {
      const table = exists
        ? await db.openTable(name)
        : await db.createEmptyTable(name, memorySchema(space), { mode: "create", existOk: true });
      return new SpaceTable(table, space, this.policy, this.now);
    })();
    this.tables.set(name, opening);
    opening.catch(() => this.tables.delete(name));
    return opening;
  }

  /** Every memory table there is; each knows its space from its schema. */
  async allTables(): Promise<SpaceTable[]> {
    const db = await this.db();
    const out: SpaceTable[] = [];
    for (const name of await db.tableNames()) {
      if (!name.startsWith(TABLE_PREFIX)) continue;
      let opening = this.tables.get(name);
      if (!opening) {
        opening = (async () => {
          const table = await db.openTable(name);
          const space = spaceOf((await table.schema()).metadata.get(SPACE_KEY));
          if (!space || tableNameOf(space) !== name) {
            table.close();
            return undefined; // not ours, or written by something else: leave it alone
          }
          return new SpaceTable(table, space, this.policy, this.now);
        })() as Promise<SpaceTable>;
        this.tables.set(name, opening);
        opening.catch(() => this.tables.delete(name));
      }
      const t = await opening;
      if (t) out.push(t);
    }
    return out;
  }

  /** Hybrid search in the space of the embedder (the query is embedded once). */
  async search(query: string, options: MemorySearchOptions & CallOptions = {}): Promise<MemoryHit[]> {
    if (typeof query !== "string") throw new ValidationError("memory search needs a query string");
    const mode = options.mode ?? "hybrid";
    const embedder = options.embedder ?? this.embedder;
    let vector: Float32Array | undefined;
    let space = embedder.space;
    if (mode !== "text" && query.trim()) {
      const embedded = await embedder.embed([query], { signal: options.signal });
      vector = embedded.vectors[0];
      space = embedded.space;
    }
    if (!space) space = (await embedder.embed(["space"], { signal: options.signal })).space;
    const table = await this.spaceTable(space, { create: false });
    if (!table) return [];
    // a table whose first writer stopped before building the full-text index gets it now
    if (mode !== "vector" && !(await table.indexState()).fullText) await table.exclusive(() => table.maintain());
    return searchIn(table, { query, vector, mode, k: options.k ?? 5, where: wherePredicate(options), aliveAt: this.now() });
  }

  /** Writes a memory, or updates the near-duplicate already there (see remember.ts). */
  async remember(input: RememberInput, options: CallOptions = {}): Promise<RememberResult> {
    const embedder = options.embedder ?? this.embedder;
    const { vectors, space } = await embedder.embed([input.text ?? ""], { signal: input.signal });
    const table = (await this.spaceTable(space, { create: true }))!;
    return rememberIn(table, input, vectors[0], { now: this.now(), defaultSource: options.source ?? { kind: "manual" } });
  }

  /** Ingests a folder of .md/.txt/.pdf files (see ingest.ts). */
  async ingest(dir: string, options: IngestOptions & CallOptions = {}): Promise<IngestReport> {
    return ingestFolder(this, dir, { ...options, embedder: options.embedder ?? this.embedder });
  }

  /** A memory by id, from whichever table holds it (expired ones included). */
  async get(id: string): Promise<MemoryItem | undefined> {
    const found = await this.find(id);
    return found && itemOf(found.row);
  }

  /** Deletes a memory by id; false when none had it. */
  async forget(id: string): Promise<boolean> {
    const found = await this.find(id);
    if (!found) return false;
    await found.table.exclusive(async () => {
      await found.table.table.delete(`id = ${literal(id)}`);
      found.table.wrote();
    });
    return true;
  }

  /** Makes a memory long-term: tier `long`, no expiry. */
  async promote(id: string): Promise<MemoryItem | undefined> {
    const found = await this.find(id);
    if (!found) return undefined;
    // the whole row is rewritten: its packed copy for search (doc) must change with it
    await found.table.exclusive(() => found.table.upsert([{ ...rowOf(found.row), tier: "long", expires_at: null, updated_at: this.now() }], [vectorOf(found.row.vector)]));
    return this.get(id);
  }

  /** Deletes working memories that expired; returns how many. */
  async purgeExpired(): Promise<number> {
    let purged = 0;
    for (const t of await this.allTables()) {
      await t.exclusive(async () => {
        const predicate = `expires_at IS NOT NULL AND expires_at <= ${Math.floor(this.now())}`;
        const n = await t.table.countRows(predicate);
        if (n > 0) {
          await t.table.delete(predicate);
          t.wrote();
          purged += n;
        }
      });
    }
    return purged;
  }

  /** Row counts per table, collection and tier; index state. */
  async stats(): Promise<MemoryStats> {
    const tables: MemoryStats["tables"] = [];
    const now = this.now();
    for (const t of await this.allTables()) {
      const collections: Record<string, { working: number; long: number }> = {};
      let rows = 0;
      for await (const batch of t.table.query().select(["collection", "tier"])) {
        const c = batch.getChild("collection")!;
        const tier = batch.getChild("tier")!;
        for (let i = 0; i < batch.numRows; i++) {
          const entry = (collections[String(c.get(i))] ??= { working: 0, long: 0 });
          entry[tier.get(i) === "long" ? "long" : "working"]++;
          rows++;
        }
      }
      const expired = await t.table.countRows(`expires_at IS NOT NULL AND expires_at <= ${Math.floor(now)}`);
      const ix = await t.indexState();
      tables.push({ table: t.name, space: t.space, rows, expired, collections, indexes: { fullText: ix.fullText, vector: ix.vector, unindexedRows: ix.unindexedRows } });
    }
    return { tables };
  }

  /** Runs index upkeep on every table now (`force` also compacts). */
  async maintain(options: { force?: boolean } = {}): Promise<string[]> {
    const done: string[] = [];
    for (const t of await this.allTables()) done.push(...(await t.exclusive(() => t.maintain(options))).map((d) => `${t.name}: ${d}`));
    return done;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const opening of this.tables.values()) {
      const t = await opening.catch(() => undefined);
      if (t) await t.exclusive(async () => t.close());
    }
    this.tables.clear();
    const db = await this.connection?.catch(() => undefined);
    if (db?.isOpen()) db.close();
  }

  /** The row with this id and the table holding it. */
  private async find(id: string): Promise<{ table: SpaceTable; row: Record<string, unknown> } | undefined> {
    if (typeof id !== "string" || !id) throw new ValidationError("a memory id is required");
    for (const t of await this.allTables()) {
      const rows = await t.table.query().where(`id = ${literal(id)}`).select([...ROW_COLUMNS, "vector"]).limit(1).toArray();
      if (rows.length) return { table: t, row: rows[0] };
    }
    return undefined;
  }
}

function spaceOf(json: string | undefined): EmbeddingSpace | undefined {
  try {
    const s = JSON.parse(json ?? "");
    return typeof s?.provider === "string" && typeof s?.model === "string" && Number.isInteger(s?.dim) ? { provider: s.provider, model: s.model, dim: s.dim } : undefined;
  } catch {
    return undefined;
  }
}
