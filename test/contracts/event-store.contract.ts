/**
 * The conformance suite every EventStore backend must pass (runtime/stores.ts). A backend's
 * test file calls `eventStoreContract("name", makeHarness)`; the harness gives a fresh store and
 * the few backend-specific operations the suite cannot do through the interface: restarting over
 * the same data, and damaging the stored log as bit rot or a crash would.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { KeelError } from "../../runtime/errors.ts";
import { newRunId } from "../../runtime/ids.ts";
import type { RunEventBody } from "../../runtime/schema/events.ts";
import type { EventStore } from "../../runtime/stores.ts";

/** A store under test plus what the suite needs beyond the interface. */
export interface EventStoreHarness {
  store: EventStore;
  /** Closes the current store and opens a new one over the same data, as after a restart. */
  restart(): Promise<EventStore>;
  /** Damages the stored record of event `seq` of a run (one changed byte), leaving the rest. */
  tamper(runId: string, seq: number): Promise<void>;
  /** Cuts the run's last stored event short, as a crash in the middle of a write would. */
  tear(runId: string): Promise<void>;
  /** A snapshot of the run's stored bytes, to check that reading never rewrites them. */
  snapshot(runId: string): Promise<string>;
  /** Closes the store and removes its data. */
  dispose(): Promise<void>;
}

const created = (): RunEventBody => ({
  type: "run.created",
  flow: { schema: "keel/flow@1", id: "f", name: "F", nodes: [], edges: [], onFailure: "fail" } as never,
  input: { hello: "world" },
  startedAt: new Date().toISOString(),
});
const log = (i: number): RunEventBody => ({ type: "node.log", node: "n", message: `line ${i}`, data: { i, text: "ünïcødé ✓" } });

let counter = 0;
/** Unique, well-formed run ids (two made in the same millisecond still differ). */
function runId(): string {
  counter++;
  return newRunId(new Date(Date.UTC(2026, 0, 1, counter % 24, counter % 60)));
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return (e as KeelError).code;
  }
  return undefined;
}

/** Registers the conformance tests for one backend. */
export function eventStoreContract(name: string, makeHarness: () => Promise<EventStoreHarness>): void {
  describe(`EventStore contract: ${name}`, () => {
    let h: EventStoreHarness | undefined;
    const harness = async () => (h = await makeHarness());
    afterEach(async () => {
      await h?.dispose();
      h = undefined;
    });

    it("reads back what was appended, with seq assigned 1, 2, 3 and ts kept or set", async () => {
      const { store } = await harness();
      const id = runId();
      store.create(id);
      const a = store.append(id, { ...created(), ts: 1234 });
      const b = store.append(id, log(1));
      const c = store.append(id, log(2));
      expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
      expect(a.ts).toBe(1234);
      expect(typeof b.ts).toBe("number");
      const read = await store.read(id);
      expect(read.tornTail).toBe(false);
      expect(read.events).toEqual([a, b, c]);
      expect(read.events[1]).toMatchObject({ type: "node.log", message: "line 1", data: { i: 1, text: "ünïcødé ✓" } });
    });

    it("makes an append visible to read at once, before any sync", async () => {
      const { store } = await harness();
      const id = runId();
      store.create(id);
      store.append(id, created());
      expect((await store.read(id)).events).toHaveLength(1);
      store.append(id, log(1));
      expect((await store.read(id)).events).toHaveLength(2);
    });

    it("keeps runs apart", async () => {
      const { store } = await harness();
      const [x, y] = [runId(), runId()];
      store.create(x);
      store.create(y);
      store.append(x, created());
      store.append(y, created());
      store.append(x, log(1));
      expect((await store.read(x)).events.map((e) => e.seq)).toEqual([1, 2]);
      expect((await store.read(y)).events.map((e) => e.seq)).toEqual([1]);
    });

    it("refuses to create a run twice with CONFLICT", async () => {
      const { store } = await harness();
      const id = runId();
      store.create(id);
      store.append(id, created());
      expect(await codeOf(() => store.create(id))).toBe("CONFLICT");
      expect((await store.read(id)).events).toHaveLength(1); // the first log is untouched
    });

    it("answers NOT_FOUND for a run it does not have", async () => {
      const { store } = await harness();
      expect(await codeOf(store.read(runId()))).toBe("NOT_FOUND");
      expect(await codeOf(store.reopen(runId()))).toBe("NOT_FOUND");
      expect(await codeOf(store.read("../../etc/passwd"))).toBe("NOT_FOUND");
    });

    it("refuses an append to a run that is not open", async () => {
      const { store } = await harness();
      expect(await codeOf(() => store.append(runId(), log(1)))).toBeDefined();
    });

    it("resolves sync after appends, and a sync with nothing to do", async () => {
      const { store } = await harness();
      await store.sync();
      const id = runId();
      store.create(id);
      store.append(id, created());
      const before = store.stats();
      await store.sync();
      const after = store.stats();
      expect(after.syncs).toBeGreaterThan(before.syncs);
      expect(after.appends).toBe(before.appends);
      await store.sync();
      expect(store.stats().syncs).toBe(after.syncs); // nothing new: no flush
    });

    it("shares flushes between concurrent syncs (group commit)", async () => {
      const { store } = await harness();
      const ids = [runId(), runId(), runId(), runId(), runId()];
      for (const id of ids) {
        store.create(id);
        store.append(id, created());
      }
      await store.sync();
      // one sync after an append to every run: the cost of a flush of all of them
      for (const id of ids) store.append(id, log(1));
      let s = store.stats().syncs;
      await store.sync();
      const one = store.stats().syncs - s;
      // twenty syncs at once after the same appends cost no more
      for (const id of ids) store.append(id, log(2));
      s = store.stats().syncs;
      await Promise.all(Array.from({ length: 20 }, () => store.sync()));
      const twenty = store.stats().syncs - s;
      expect(one).toBeGreaterThan(0);
      expect(twenty).toBeLessThanOrEqual(one);
      // syncs asked for while a flush is in flight join the next one, which covers later appends
      store.append(ids[0], log(3));
      const first = store.sync();
      store.append(ids[1], log(3));
      const second = store.sync();
      const third = store.sync();
      expect(second).toBe(third);
      await Promise.all([first, second]);
      expect(store.stats().appends).toBeGreaterThanOrEqual(ids.length * 3 + 2);
    });

    it("lists created, unfinished runs in openRuns, and finish removes them", async () => {
      const { store } = await harness();
      const [a, b, c] = [runId(), runId(), runId()];
      for (const id of [a, b, c]) {
        store.create(id);
        store.append(id, created());
      }
      expect((await store.openRuns()).sort()).toEqual([a, b, c].sort());
      await store.sync();
      store.finish(b);
      expect((await store.openRuns()).sort()).toEqual([a, c].sort());
      expect((await store.read(b)).events).toHaveLength(1); // finished runs stay readable
    });

    it("remembers open and finished runs across a restart", async () => {
      const hh = await harness();
      const [a, b] = [runId(), runId()];
      for (const id of [a, b]) {
        hh.store.create(id);
        hh.store.append(id, created());
      }
      await hh.store.sync();
      hh.store.finish(a);
      await hh.store.sync();
      const store = await hh.restart();
      expect(await store.openRuns()).toEqual([b]);
    });

    it("does not list for resume a run whose first event never made it whole", async () => {
      const hh = await harness();
      const [bare, torn, whole] = [runId(), runId(), runId()];
      hh.store.create(bare); // a crash right after create: no event at all
      hh.store.create(torn);
      hh.store.append(torn, created());
      hh.store.create(whole);
      hh.store.append(whole, created());
      await hh.store.sync();
      await hh.tear(torn); // its only event was cut short
      const store = await hh.restart();
      expect(await store.openRuns()).toEqual([whole]);
    });

    it("appends again after release (a waiting run that wakes up)", async () => {
      const { store } = await harness();
      const id = runId();
      store.create(id);
      store.append(id, created());
      await store.sync();
      store.release(id);
      const e = store.append(id, log(1));
      expect(e.seq).toBe(2);
      await store.sync();
      expect((await store.read(id)).events.map((x) => x.seq)).toEqual([1, 2]);
      expect(await store.openRuns()).toContain(id);
    });

    it("continues the chain after a restart and reopen", async () => {
      const hh = await harness();
      const id = runId();
      hh.store.create(id);
      hh.store.append(id, created());
      hh.store.append(id, log(1));
      await hh.store.sync();
      const store = await hh.restart();
      const reopened = await store.reopen(id);
      expect(reopened.events.map((e) => e.seq)).toEqual([1, 2]);
      expect(reopened.tornTail).toBe(false);
      expect(store.append(id, log(2)).seq).toBe(3);
      await store.sync();
      const read = await store.read(id);
      expect(read.events.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(read.events[2]).toMatchObject({ message: "line 2" });
    });

    it("detects a changed byte: CORRUPT, naming the run and the event, and the data is left as it was", async () => {
      const hh = await harness();
      const id = runId();
      hh.store.create(id);
      hh.store.append(id, created());
      for (let i = 1; i <= 4; i++) hh.store.append(id, log(i));
      await hh.store.sync();
      await hh.tamper(id, 3);
      const before = await hh.snapshot(id);
      let err: KeelError | undefined;
      try {
        await hh.store.read(id);
      } catch (e) {
        err = e as KeelError;
      }
      expect(err?.code).toBe("CORRUPT");
      expect(err?.message).toContain(id);
      expect(err?.message).toMatch(/\b3\b/);
      const store = await hh.restart();
      expect(await codeOf(store.reopen(id))).toBe("CORRUPT");
      expect(await codeOf(store.read(id))).toBe("CORRUPT");
      expect(await hh.snapshot(id)).toBe(before);
    });

    it("drops a torn last event, and appends after it on reopen", async () => {
      const hh = await harness();
      const id = runId();
      hh.store.create(id);
      hh.store.append(id, created());
      hh.store.append(id, log(1));
      hh.store.append(id, log(2));
      await hh.store.sync();
      await hh.tear(id);
      const store = await hh.restart();
      const read = await store.read(id);
      expect(read.tornTail).toBe(true);
      expect(read.events.map((e) => e.seq)).toEqual([1, 2]);
      const reopened = await store.reopen(id);
      expect(reopened.tornTail).toBe(true);
      expect(store.append(id, log(3)).seq).toBe(3);
      await store.sync();
      const after = await store.read(id);
      expect(after.tornTail).toBe(false);
      expect(after.events.map((e) => (e.type === "node.log" ? e.message : e.type))).toEqual(["run.created", "line 1", "line 3"]);
    });
  });
}
