/** Upkeep: expired working memories and expired cached model answers are removed, at `keel start` and after. */
import { afterEach, describe, expect, it } from "vitest";
import type { CachedResponse } from "../../runtime/models/cache.ts";
import { housekeep } from "../../server/housekeeping.ts";
import { openKeel } from "../../server/keel.ts";
import { startServer } from "../../server/start.ts";
import { tempDir } from "../support/keel.ts";

const DAY = 86_400_000;
const answer = (createdAt: number): CachedResponse => ({ text: "cached", inputTokens: 1, outputTokens: 1, estimated: true, costUsd: 0, createdAt });
const KEY_OLD = "a".repeat(64);
const KEY_NEW = "b".repeat(64);

/** A data folder holding one working memory that has expired, one that has not, and cached answers of 40 days and of now. */
async function seeded(dataDir: string): Promise<void> {
  const keel = openKeel({ dataDir });
  try {
    await keel.memory.remember({ text: "The Acme renewal call moved to Thursday.", ttlDays: 1e-8 }); // expires within a millisecond
    await keel.memory.remember({ text: "Globex pays invoices on the 15th of each month." });
    await keel.modelCache.set(KEY_OLD, answer(Date.now() - 40 * DAY)); // past the default ttlDays of 30
    await keel.modelCache.set(KEY_NEW, answer(Date.now()));
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    await keel.close();
  }
}

describe("housekeeping", () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("removes what expired and keeps the rest", async () => {
    const { dir, cleanup } = tempDir("keel-upkeep-");
    cleanups.push(cleanup);
    await seeded(dir);
    const keel = openKeel({ dataDir: dir });
    cleanups.push(() => keel.close());
    const lines: string[] = [];
    expect(await housekeep(keel, (l) => lines.push(l))).toEqual({ memories: 1, cachedAnswers: 1 });
    expect(lines).toEqual(["keel: housekeeping: removed 1 expired memory and 1 expired cached model answer"]);
    expect(await keel.modelCache.get(KEY_OLD)).toBeUndefined();
    expect(await keel.modelCache.get(KEY_NEW)).toMatchObject({ text: "cached" });
    const stats = await keel.memory.stats();
    expect(stats.tables.reduce((n, t) => n + t.rows, 0)).toBe(1);
    // a second round finds nothing and says nothing
    expect(await housekeep(keel, (l) => lines.push(l))).toEqual({ memories: 0, cachedAnswers: 0 });
    expect(lines).toHaveLength(1);
  });

  it("runs when keel start starts", async () => {
    const { dir, cleanup } = tempDir("keel-upkeep-start-");
    cleanups.push(cleanup);
    await seeded(dir);
    const lines: string[] = [];
    const server = await startServer({ dataDir: dir, port: 0, log: (l) => lines.push(l) });
    cleanups.push(() => server.close());
    expect(await server.housekeeping).toEqual({ memories: 1, cachedAnswers: 1 });
    expect(lines).toContain("keel: housekeeping: removed 1 expired memory and 1 expired cached model answer");
  });
});
