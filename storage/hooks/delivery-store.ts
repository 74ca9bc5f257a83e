/**
 * Webhook deliveries already turned into runs, so a replay of the same delivery id starts
 * nothing new. lowdb documents, one per UTC day (`<dir>/<yyyymmdd>.json`): a look-up reads the
 * last RETENTION_DAYS files, and older files are removed, so nothing grows without bound.
 */
import fs from "node:fs";
import path from "node:path";
import { Low } from "lowdb";
import { DurableJSONFile } from "../docs/durable-json-file.ts";

/** A delivery that started a run. */
export interface Delivery {
  runId: string;
  at: string;
}

/** How long a delivery id is remembered. */
export const RETENTION_DAYS = 7;

export class FileDeliveryStore {
  readonly dir: string;
  private readonly days = new Map<string, Promise<Low<{ deliveries: Record<string, Delivery> }>>>();
  private readonly now: () => number;
  private pruned = "";

  constructor(dir: string, options: { now?: () => number } = {}) {
    this.dir = path.resolve(dir);
    this.now = options.now ?? Date.now;
  }

  /** The run a delivery started, if it was seen within the retention window. */
  async get(key: string): Promise<Delivery | undefined> {
    for (const day of this.window()) {
      const hit = (await this.day(day, { create: false }))?.data.deliveries[key];
      if (hit) return hit;
    }
    return undefined;
  }

  /** Remembers a delivery, durably. */
  async put(key: string, delivery: Delivery): Promise<void> {
    const today = this.window()[0];
    const db = (await this.day(today, { create: true }))!;
    db.data.deliveries[key] = delivery;
    await db.write();
    this.prune(today);
  }

  private window(): string[] {
    const out: string[] = [];
    for (let i = 0; i < RETENTION_DAYS; i++) out.push(dayOf(this.now() - i * 86_400_000));
    return out;
  }

  private async day(day: string, opts: { create: boolean }): Promise<Low<{ deliveries: Record<string, Delivery> }> | undefined> {
    const file = path.join(this.dir, `${day}.json`);
    let p = this.days.get(day);
    if (!p) {
      if (!opts.create && !fs.existsSync(file)) return undefined;
      p = (async () => {
        const db = new Low<{ deliveries: Record<string, Delivery> }>(new DurableJSONFile(file), { deliveries: {} });
        await db.read();
        db.data ??= { deliveries: {} };
        db.data.deliveries ??= {};
        return db;
      })();
      this.days.set(day, p);
      p.catch(() => this.days.delete(day));
    }
    return p;
  }

  /** Removes the files (and cached documents) of days that left the window. */
  private prune(today: string): void {
    if (this.pruned === today) return;
    this.pruned = today;
    const keep = new Set(this.window());
    for (const day of [...this.days.keys()]) if (!keep.has(day)) this.days.delete(day);
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const m = /^(\d{8})\.json$/.exec(name);
      if (m && !keep.has(m[1]) && m[1] < today) fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replace(/-/g, "");
}
