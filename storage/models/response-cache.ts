/**
 * The persisted model response cache: one small JSON file per entry under
 * `<data>/models/cache/<first two hex of the key>/<key>.json`, written atomically (temp file +
 * rename). One file per answer keeps every write small and lets old entries be removed by
 * age without rewriting anything. A file that does not parse is treated as a miss.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { CachedResponse, ResponseCache } from "../../runtime/models/cache.ts";

const KEY = /^[0-9a-f]{64}$/;

/** A ResponseCache in a folder. */
export class FileResponseCache implements ResponseCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  private fileOf(key: string): string {
    if (!KEY.test(key)) throw new RangeError(`not a cache key: ${key.slice(0, 80)}`);
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string): Promise<CachedResponse | undefined> {
    try {
      const value = JSON.parse(await fs.promises.readFile(this.fileOf(key), "utf8")) as CachedResponse;
      return typeof value?.text === "string" && typeof value.createdAt === "number" ? value : undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: CachedResponse): Promise<void> {
    const file = this.fileOf(key);
    await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
    // no fsync: losing a cache entry in a power cut only costs one call again
    await fs.promises.writeFile(tmp, JSON.stringify(value), { mode: 0o600 });
    await fs.promises.rename(tmp, file);
  }

  /** Removes entries stored before `olderThan` (epoch ms); returns how many. */
  async prune(olderThan: number): Promise<number> {
    let removed = 0;
    let shards: string[];
    try {
      shards = await fs.promises.readdir(this.dir);
    } catch {
      return 0;
    }
    for (const shard of shards) {
      const folder = path.join(this.dir, shard);
      for (const name of await fs.promises.readdir(folder).catch(() => [] as string[])) {
        const file = path.join(folder, name);
        const entry = await this.get(name.replace(/\.json$/, "")).catch(() => undefined);
        if (!entry || entry.createdAt < olderThan) {
          await fs.promises.rm(file, { force: true });
          removed++;
        }
      }
    }
    return removed;
  }
}
