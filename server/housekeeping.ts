/**
 * Upkeep while `keel start` runs: working memories past their expiry are deleted (search already
 * leaves them out; this gives the space back), and model answers older than the cache's
 * `ttlDays` leave the response cache. Once at start, then every six hours.
 */
import type { Keel } from "./keel.ts";

const EVERY_MS = 6 * 60 * 60 * 1000;
const DAY_MS = 86_400_000;

/** What one round of upkeep removed. */
export interface Housekept {
  memories: number;
  cachedAnswers: number;
}

/** One round of upkeep; a part that fails is logged and the other still runs. */
export async function housekeep(keel: Pick<Keel, "memory" | "models" | "modelCache">, log: (line: string) => void): Promise<Housekept> {
  const done: Housekept = { memories: 0, cachedAnswers: 0 };
  try {
    done.memories = await keel.memory.purgeExpired();
  } catch (e) {
    log(`keel: housekeeping: expired memories: ${(e as Error).message}`);
  }
  try {
    done.cachedAnswers = await keel.modelCache.prune(Date.now() - keel.models.settings().cache.ttlDays * DAY_MS);
  } catch (e) {
    log(`keel: housekeeping: model cache: ${(e as Error).message}`);
  }
  if (done.memories || done.cachedAnswers) {
    log(`keel: housekeeping: removed ${done.memories} expired memor${done.memories === 1 ? "y" : "ies"} and ${done.cachedAnswers} expired cached model answer${done.cachedAnswers === 1 ? "" : "s"}`);
  }
  return done;
}

/** Runs upkeep now and then every six hours until stopped; `first` settles after the first round. */
export function startHousekeeping(keel: Keel, log: (line: string) => void, everyMs = EVERY_MS): { first: Promise<Housekept>; stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const round = () => (running = housekeep(keel, log));
  const first = round() as Promise<Housekept>;
  const timer = setInterval(round, everyMs);
  timer.unref();
  return {
    first,
    async stop() {
      clearInterval(timer);
      await running.catch(() => {});
    },
  };
}
