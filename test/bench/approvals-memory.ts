/**
 * Child process of the approvals benchmark: a Keel process holding RUNS runs that wait for
 * approval, measured on its own (the bench process itself has every benchmark's modules
 * loaded). Prints one JSON line: rss and heap before and after the runs, in bytes.
 */
import { approvalBenchFlow } from "./approvals-flow.ts";
import { testKeel } from "../support/keel.ts";

const runs = Number(process.argv[2] ?? 1000);

function memory(): { rss: number; heap: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

const keel = testKeel();
for (let i = 0; i < 5; i++) await keel.coordinator.run(approvalBenchFlow, { i }); // load what runs use
await keel.approvals.idle();
await new Promise((r) => setTimeout(r, 200));
const before = memory();
for (let start = 0; start < runs; start += 50) {
  const batch = await Promise.all(Array.from({ length: Math.min(50, runs - start) }, (_, k) => keel.coordinator.run(approvalBenchFlow, { i: start + k })));
  if (batch.some((r) => r.status !== "waiting")) throw new Error("a run did not wait");
}
await keel.approvals.idle();
const pending = (await keel.approvals.store.pending()).length;
await new Promise((r) => setTimeout(r, 200));
const after = memory();
process.stdout.write(`${JSON.stringify({ before, after, pending: pending - 5, live: keel.coordinator.liveRuns() })}\n`);
await keel.dispose();
