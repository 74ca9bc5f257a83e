import { randomBytes, randomFillSync } from "node:crypto";

/**
 * Run ids sort by creation time and say when they were made: `r-20261124-133501-3f9c2a1b`.
 * The time part also picks the run-index shard, so no look-up table is needed.
 */
export function newRunId(now = new Date()): string {
  const iso = now.toISOString(); // 2026-11-24T13:35:01.123Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  return `r-${stamp}-${randomHex10()}`;
}

/** Random bytes for run ids, drawn from the system's generator 512 ids at a time rather than per id. */
const pool = Buffer.alloc(5 * 512);
let poolAt = pool.length;
function randomHex10(): string {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += 5;
  return pool.toString("hex", poolAt - 5, poolAt);
}

const RUN_ID = /^r-(\d{8})-(\d{2})\d{4}-[0-9a-f]{10}$/;

/** True when the string has the shape of a run id (also keeps ids out of file paths otherwise). */
export function isRunId(id: string): boolean {
  return RUN_ID.test(id);
}

/** The UTC hour a run id was made in, `20261124-13`: the shard key for run storage. */
export function runIdHour(id: string): string {
  const m = RUN_ID.exec(id);
  if (!m) throw new Error(`not a run id: ${JSON.stringify(id)}`);
  return `${m[1]}-${m[2]}`;
}

/** A short random id for approvals, edges and the like. */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString("hex")}`;
}
