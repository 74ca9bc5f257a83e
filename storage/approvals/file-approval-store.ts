/**
 * Approval records in lowdb documents, sharded by the day of the run and a hash bucket taken
 * from the approval id (`<dir>/<yyyymmdd>/<bucket>.json`), so a decision rewrites one small
 * file and a look-up needs no table. A small pending index (`<dir>/pending.json`) lists the
 * open ones for the inbox; it is derived (checked against the records on every read).
 *
 * Decisions are a compare-and-set on the in-memory document followed by a durable write (temp
 * file, fsync, rename): of two racing decisions exactly one succeeds. One process writes a data
 * folder at a time (storage/lock.ts), so the in-memory document is the only writer's copy.
 */
import fs from "node:fs";
import path from "node:path";
import { Low } from "lowdb";
import { KeelError } from "../../runtime/errors.ts";
import {
  approvalShardOf,
  isApprovalId,
  type Approval,
  type ApprovalDecision,
  type ApprovalStatus,
  type ApprovalStore,
  type PendingEntry,
} from "../../runtime/approvals/types.ts";
import { DurableJSONFile } from "../docs/durable-json-file.ts";

interface Shard {
  db: Low<{ approvals: Record<string, Approval> }>;
  busy: number;
  usedAt: number;
}

/** The pending index is derived (checked on every read), so its writes are gathered. */
const INDEX_DELAY_MS = 500;
const IDLE_SHARD_MS = 60_000;
const MAX_LIMIT = 1000;

export class FileApprovalStore implements ApprovalStore {
  readonly dir: string;
  private readonly shards = new Map<string, Promise<Shard>>();
  /** Approvals whose latest change is not durable yet: readers wait for it. */
  private readonly writing = new Map<string, Promise<unknown>>();
  private index: Promise<Low<{ pending: Record<string, PendingEntry> }>> | undefined;
  private indexTimer: ReturnType<typeof setTimeout> | null = null;
  private indexWrite: Promise<void> = Promise.resolve();
  private readonly sweeper: ReturnType<typeof setInterval>;
  private readonly onError: (e: unknown) => void;

  constructor(dir: string, options: { onError?: (e: unknown) => void } = {}) {
    this.dir = path.resolve(dir);
    this.onError = options.onError ?? ((e) => process.stderr.write(`keel: approvals index: ${(e as Error).message}\n`));
    fs.mkdirSync(this.dir, { recursive: true });
    // documents of settled approvals leave memory when idle; pending ones stay (the inbox reads them)
    this.sweeper = setInterval(() => this.sweep(), IDLE_SHARD_MS);
    this.sweeper.unref();
  }

  async create(approval: Approval): Promise<Approval> {
    const shard = await this.shardOf(approval.id);
    const existing = shard.db.data.approvals[approval.id];
    if (existing) {
      await this.writing.get(approval.id);
      if (existing.status === "pending") await this.listPending(existing);
      return existing;
    }
    shard.db.data.approvals[approval.id] = approval;
    try {
      await this.durably(approval.id, shard);
    } catch (e) {
      delete shard.db.data.approvals[approval.id];
      throw e;
    }
    await this.listPending(approval);
    return approval;
  }

  async get(id: string): Promise<Approval | undefined> {
    if (!isApprovalId(id)) return undefined;
    const shard = await this.shardOf(id);
    const writing = this.writing.get(id);
    if (writing) await writing; // shown only once durable
    return shard.db.data.approvals[id];
  }

  decide(id: string, status: Exclude<ApprovalStatus, "pending">, decision: ApprovalDecision, options: { onClaimed?: (approval: Approval) => void } = {}): Promise<Approval> {
    return this.settle(id, status, decision, { onlyPending: true, onClaimed: options.onClaimed });
  }

  correct(id: string, status: Exclude<ApprovalStatus, "pending">, decision: ApprovalDecision): Promise<Approval> {
    return this.settle(id, status, decision, { onlyPending: false });
  }

  private async settle(
    id: string,
    status: Exclude<ApprovalStatus, "pending">,
    decision: ApprovalDecision,
    opts: { onlyPending: boolean; onClaimed?: (approval: Approval) => void },
  ): Promise<Approval> {
    if (!isApprovalId(id)) throw new KeelError("NOT_FOUND", `no approval "${String(id).slice(0, 80)}"`);
    const shard = await this.shardOf(id);
    await this.writing.get(id)?.catch(() => undefined);
    // from here to the write nothing awaits: this is the compare-and-set
    const before = shard.db.data.approvals[id];
    if (!before) throw new KeelError("NOT_FOUND", `no approval "${id}"`);
    if (opts.onlyPending && before.status !== "pending") {
      throw new KeelError("CONFLICT", `approval ${id} was already decided: ${before.status}`, { details: { approval: before } });
    }
    const after: Approval = { ...before, status, decision };
    shard.db.data.approvals[id] = after;
    const durable = this.durably(id, shard);
    opts.onClaimed?.(after);
    try {
      await durable;
    } catch (e) {
      // once claimed, the decision may already be in its run's log (the truth); keep it
      if (!opts.onClaimed && shard.db.data.approvals[id] === after) shard.db.data.approvals[id] = before;
      throw e;
    }
    await this.unlistPending(id);
    return after;
  }

  async pending(): Promise<PendingEntry[]> {
    return Object.values((await this.pendingIndex()).data.pending);
  }

  async list(query: { status?: ApprovalStatus; limit?: number } = {}): Promise<Approval[]> {
    const limit = Math.max(1, Math.min(query.limit ?? 100, MAX_LIMIT));
    if (query.status === "pending") {
      const out: Approval[] = [];
      for (const entry of await this.pending()) {
        const a = await this.get(entry.id);
        if (a?.status === "pending") out.push(a);
        else await this.unlistPending(entry.id); // the index lagged behind a decision
      }
      out.sort((a, b) => (a.due === b.due ? cmp(b.created, a.created) : cmp(b.due, a.due)));
      return out.slice(0, limit);
    }
    const days = (await fs.promises.readdir(this.dir)).filter((d) => /^\d{8}$/.test(d)).sort().reverse();
    const out: Approval[] = [];
    for (const day of days) {
      const buckets = (await fs.promises.readdir(path.join(this.dir, day))).filter((f) => /^[0-9a-f]\.json$/.test(f));
      for (const file of buckets) {
        const shard = await this.shardAt(path.join(this.dir, day, file));
        for (const a of Object.values(shard.db.data.approvals)) if (!query.status || a.status === query.status) out.push(a);
      }
      if (out.length >= limit) break; // later days cannot hold anything newer
    }
    out.sort((a, b) => cmp(b.created, a.created));
    return out.slice(0, limit);
  }

  async flush(): Promise<void> {
    if (this.indexTimer) {
      clearTimeout(this.indexTimer);
      this.indexTimer = null;
      this.writeIndex();
    }
    await this.indexWrite;
  }

  /** Writes what is pending and lets go of the documents. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.flush();
  }

  private shardOf(id: string): Promise<Shard> {
    const { day, bucket } = approvalShardOf(id);
    return this.shardAt(path.join(this.dir, day, `${bucket}.json`));
  }

  private shardAt(file: string): Promise<Shard> {
    let p = this.shards.get(file);
    if (!p) {
      p = (async () => {
        const db = new Low<{ approvals: Record<string, Approval> }>(new DurableJSONFile(file), { approvals: {} });
        await db.read();
        db.data ??= { approvals: {} };
        db.data.approvals ??= {};
        return { db, busy: 0, usedAt: Date.now() };
      })();
      this.shards.set(file, p);
      p.catch(() => this.shards.delete(file));
    }
    return p.then((s) => {
      s.usedAt = Date.now();
      return s;
    });
  }

  /** Writes the shard, marking the approval as not yet durable until it is. */
  private durably(id: string, shard: Shard): Promise<void> {
    const written = this.write(shard);
    const mark = written.catch(() => undefined);
    this.writing.set(id, mark);
    void mark.then(() => {
      if (this.writing.get(id) === mark) this.writing.delete(id);
    });
    return written;
  }

  private async write(shard: Shard): Promise<void> {
    shard.busy++;
    try {
      await shard.db.write();
    } finally {
      shard.busy--;
      shard.usedAt = Date.now();
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [file, p] of this.shards) {
      void p.then((s) => {
        const idle = s.busy === 0 && now - s.usedAt > IDLE_SHARD_MS;
        const open = Object.values(s.db.data.approvals).some((a) => a.status === "pending");
        if (idle && !open && this.shards.get(file) === p) this.shards.delete(file);
      }, () => undefined);
    }
  }

  private pendingIndex(): Promise<Low<{ pending: Record<string, PendingEntry> }>> {
    this.index ??= (async () => {
      const db = new Low<{ pending: Record<string, PendingEntry> }>(new DurableJSONFile(path.join(this.dir, "pending.json")), { pending: {} });
      await db.read();
      db.data ??= { pending: {} };
      db.data.pending ??= {};
      return db;
    })();
    this.index.catch(() => (this.index = undefined));
    return this.index;
  }

  private async listPending(a: Approval): Promise<void> {
    const db = await this.pendingIndex();
    const entry = db.data.pending[a.id];
    if (entry && entry.due === a.due) return;
    db.data.pending[a.id] = { id: a.id, run: a.run, node: a.node, due: a.due };
    this.indexChanged();
  }

  private async unlistPending(id: string): Promise<void> {
    const db = await this.pendingIndex();
    if (!(id in db.data.pending)) return;
    delete db.data.pending[id];
    this.indexChanged();
  }

  private indexChanged(): void {
    this.indexTimer ??= setTimeout(() => {
      this.indexTimer = null;
      this.writeIndex();
    }, INDEX_DELAY_MS);
  }

  private writeIndex(): void {
    const previous = this.indexWrite;
    this.indexWrite = (async () => {
      await previous;
      const db = await this.pendingIndex();
      await db.write().catch(this.onError);
    })();
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
