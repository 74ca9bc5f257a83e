/**
 * The run index: summaries of runs in lowdb documents sharded by the hour the run started
 * (taken from its id), and split further every SHARD_MAX runs, so that no file grows without
 * bound and a write rewrites one small file. It is derived data: the logs are the truth.
 */
import fs from "node:fs";
import path from "node:path";
import { Low } from "lowdb";
import { runIdHour, isRunId } from "../../runtime/ids.ts";
import type { RunIndex, RunQuery, RunSummary } from "../../runtime/stores.ts";
import { DurableJSONFile } from "./durable-json-file.ts";

interface Shard {
  name: string;
  db: Low<{ runs: Record<string, RunSummary> }>;
  dirty: boolean;
  /** Runs in the shard, kept rather than counted on every put. */
  size: number;
}

/** Runs per index file before the hour's next file is started. */
export const SHARD_MAX = 500;
const WRITE_DELAY_MS = 100;

export class FileRunIndex implements RunIndex {
  private readonly dir: string;
  private readonly shards = new Map<string, Shard>();
  private readonly hours = new Map<string, Promise<Shard[]>>();
  /** Hours whose files are read: a put for them is placed at once, with no promise. */
  private readonly loaded = new Map<string, Shard[]>();
  /** Puts waiting for their hour's files to be read, in order, and the reading. */
  private readonly waiting = new Map<string, { puts: RunSummary[]; done: Promise<void> }>();
  /** Which shard holds each run this process has seen. */
  private readonly shardOf = new Map<string, Shard>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Callers of `written()` waiting for the scheduled write. */
  private scheduled: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null = null;
  private writing: Promise<unknown> = Promise.resolve();
  private readonly onError: (e: unknown) => void;

  constructor(dir: string, options: { onError?: (e: unknown) => void } = {}) {
    this.dir = dir;
    this.onError = options.onError ?? ((e) => process.stderr.write(`keel: run index: ${(e as Error).message}\n`));
    fs.mkdirSync(dir, { recursive: true });
  }

  private async shardsOf(hour: string): Promise<Shard[]> {
    let p = this.hours.get(hour);
    if (!p) {
      p = (async () => {
        const names = (await fs.promises.readdir(this.dir)).filter((n) => n.startsWith(`${hour}.`) && n.endsWith(".json"));
        names.sort((a, b) => part(a) - part(b));
        if (names.length === 0) names.push(`${hour}.0.json`);
        const out: Shard[] = [];
        for (const name of names) out.push(await this.open(name));
        return out;
      })();
      this.hours.set(hour, p);
      p.catch(() => this.hours.delete(hour));
    }
    return p;
  }

  private async open(name: string): Promise<Shard> {
    const db = new Low<{ runs: Record<string, RunSummary> }>(new DurableJSONFile(path.join(this.dir, name)), { runs: {} });
    await db.read();
    db.data ??= { runs: {} };
    return this.adopt(name, db);
  }

  private adopt(name: string, db: Low<{ runs: Record<string, RunSummary> }>): Shard {
    const shard: Shard = { name, db, dirty: false, size: 0 };
    for (const id of Object.keys(db.data.runs)) {
      this.shardOf.set(id, shard);
      shard.size++;
    }
    this.shards.set(name, shard);
    return shard;
  }

  put(summary: RunSummary): void {
    const hour = runIdHour(summary.id);
    const list = this.loaded.get(hour);
    if (list) return this.place(list, summary);
    const waiting = this.waiting.get(hour);
    if (waiting) return void waiting.puts.push(summary);
    const puts = [summary];
    const done = this.shardsOf(hour).then(
      (shards) => {
        // one synchronous step: no later put can overtake the ones that waited
        this.waiting.delete(hour);
        this.loaded.set(hour, shards);
        for (const s of puts) this.place(shards, s);
      },
      (e) => {
        this.waiting.delete(hour);
        this.onError(e);
      },
    );
    this.waiting.set(hour, { puts, done });
  }

  /** Places a summary in its shard (or the hour's last, or a new next file); synchronous, so puts never race. */
  private place(list: Shard[], summary: RunSummary): void {
    let shard = this.shardOf.get(summary.id);
    if (!shard) {
      shard = list[list.length - 1];
      if (shard.size >= SHARD_MAX) {
        // every file of the hour was read, so the next one does not exist yet
        const name = `${runIdHour(summary.id)}.${part(shard.name) + 1}.json`;
        shard = this.adopt(name, new Low(new DurableJSONFile(path.join(this.dir, name)), { runs: {} }));
        list.push(shard);
      }
      this.shardOf.set(summary.id, shard);
      shard.size++;
    }
    shard.db.data.runs[summary.id] = summary;
    shard.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush().catch(this.onError);
    }, WRITE_DELAY_MS);
    this.timer.unref?.();
  }

  /** Resolves once every put made so far is written, with the next scheduled write rather than one of its own. */
  async written(): Promise<void> {
    await Promise.all([...this.waiting.values()].map((w) => w.done));
    if (!this.timer) return void (await this.writing);
    if (!this.scheduled) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      this.scheduled = { promise, resolve, reject };
    }
    return this.scheduled.promise;
  }

  async flush(): Promise<void> {
    // let puts that wait for their hour's files land first
    await Promise.all([...this.waiting.values()].map((w) => w.done));
    const waiters = this.scheduled; // this write covers every put they were waiting for
    this.scheduled = null;
    // writes an earlier flush (the delayed one) started count too
    const writes: Promise<unknown>[] = [this.writing];
    for (const shard of this.shards.values()) {
      if (!shard.dirty) continue;
      shard.dirty = false;
      writes.push(shard.db.write());
    }
    const all = Promise.all(writes);
    this.writing = all.catch(() => undefined);
    try {
      await all;
    } catch (e) {
      waiters?.reject(e);
      throw e;
    }
    waiters?.resolve();
  }

  async get(runId: string): Promise<RunSummary | undefined> {
    if (!isRunId(runId)) return undefined;
    for (const s of await this.shardsOf(runIdHour(runId))) {
      const hit = s.db.data.runs[runId];
      if (hit) return hit;
    }
    return undefined;
  }

  async list(query: RunQuery = {}): Promise<{ items: RunSummary[]; nextCursor?: string }> {
    const limit = Math.max(1, Math.min(query.limit ?? 50, 1000));
    const hours = [
      ...new Set(
        (await fs.promises.readdir(this.dir)).filter((n) => n.endsWith(".json") && !n.startsWith(".")).map((n) => n.split(".")[0]),
      ),
    ];
    for (const s of this.shards.values()) hours.push(s.name.split(".")[0]);
    const sorted = [...new Set(hours)].sort().reverse();
    const items: RunSummary[] = [];
    for (const hour of sorted) {
      if (query.cursor && hour > runIdHour(query.cursor)) continue;
      const runs = (await this.shardsOf(hour)).flatMap((s) => Object.values(s.db.data.runs));
      runs.sort((a, b) => (a.id < b.id ? 1 : -1));
      for (const r of runs) {
        if (query.cursor && r.id >= query.cursor) continue;
        if (query.flowId && r.flowId !== query.flowId) continue;
        if (query.status && r.status !== query.status) continue;
        items.push(r);
        if (items.length === limit) return { items, nextCursor: r.id };
      }
    }
    return { items };
  }
}

function part(name: string): number {
  return Number(name.split(".")[1] ?? 0);
}
