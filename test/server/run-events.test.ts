import { afterEach, expect, test } from "vitest";
import { RunEventCache } from "../../server/http/run-events.ts";
import { makeFlow, testKeel, transformChain } from "../support/keel.ts";

const keels: Array<ReturnType<typeof testKeel>> = [];
afterEach(async () => {
  for (const k of keels.splice(0)) await k.dispose();
});

test("events served from memory are the events in the log, for runs in flight and just finished", async () => {
  const keel = testKeel();
  keels.push(keel);
  const cache = new RunEventCache(keel.coordinator);
  const seen: string[] = [];
  keel.coordinator.on((runId, e) => {
    // mid-run, memory already holds every event appended so far, in order
    if (e.type === "node.succeeded") seen.push(`${cache.cached(runId)?.length === e.seq}`);
  });
  const r = await keel.coordinator.run(transformChain(5), { start: 1 });
  expect(seen).toEqual(Array(5).fill("true"));
  expect(cache.cached(r.runId)).toEqual(await keel.coordinator.events(r.runId));
});

test("a run not seen from its start is read from disk; the finished runs read or finished last are kept", async () => {
  const keel = testKeel();
  keels.push(keel);
  const before = await keel.coordinator.run(makeFlow([{ id: "a", type: "transform" }]), {});
  const cache = new RunEventCache(keel.coordinator, { finishedKept: 2 });
  expect(cache.cached(before.runId)).toBeUndefined();
  expect((await cache.events(before.runId)).at(-1)?.type).toBe("run.succeeded");
  expect(cache.cached(before.runId)).toEqual(await keel.coordinator.events(before.runId)); // finished: kept once read
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    ids.push((await keel.coordinator.run(makeFlow([{ id: "a", type: "transform" }]), {})).runId);
    cache.cached(ids[0]); // read often: stays
  }
  expect([before.runId, ...ids].map((id) => cache.cached(id) !== undefined)).toEqual([false, true, false, true]);
  expect(cache.size()).toBe(2);
});

test("a waiting run holds no events in memory; reading it goes to its log", async () => {
  const keel = testKeel();
  keels.push(keel);
  const cache = new RunEventCache(keel.coordinator);
  const flow = makeFlow([{ id: "pause", type: "wait.timer", params: { ms: 3_600_000 } }]);
  const r = await keel.coordinator.run(flow, {});
  expect(r.status).toBe("waiting");
  expect(cache.size()).toBe(0);
  expect((await cache.events(r.runId)).at(-1)?.type).toBe("run.waiting");
  expect(cache.size()).toBe(0); // not finished: not kept either
});
