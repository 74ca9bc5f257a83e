/**
 * approvals: 1,000 runs waiting for approval at once. Figures: memory of a Keel process with them
 * all waiting (measured in a child process of its own, beside its memory before the runs), and
 * the time from a decision
 * (ApprovalDesk.decide called) to the run's next node starting, p50/p99: one decision at a time,
 * and 100 at once. Baseline in the same run: the engine alone resuming a waiting node
 * (coordinator.wake on a wait.timer, no approval store) to its next node starting.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { testKeel, makeFlow } from "../support/keel.ts";
import { approvalBenchFlow as approvalFlow } from "./approvals-flow.ts";
import { heading, percentile, report } from "./util.ts";

const RUNS = 1000;

const timerFlow = makeFlow(
  [
    { id: "wait", type: "wait.timer", params: { ms: 86_400_000 } },
    { id: "after", type: "transform", params: { set: { done: true } } },
  ],
  [["wait", "after"]],
  { id: "bench-timer" },
);

function mb(bytes: number): number {
  return bytes / 1024 / 1024;
}

type Mem = { rss: number; heap: number };

function measureInChild(): Promise<{ before: Mem; after: Mem; pending: number; live: number }> {
  const script = fileURLToPath(new URL("./approvals-memory.ts", import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--no-node-snapshot", "--expose-gc", "--import", "tsx", script, String(RUNS)], { timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`the memory child failed: ${stderr || err.message}`));
      resolve(JSON.parse(stdout.trim().split("\n").pop()!));
    });
  });
}

export async function benchApprovals(): Promise<void> {
  heading(`approvals — ${RUNS} runs waiting for approval at once`);
  // memory in a process of its own: this one has every benchmark's modules loaded
  const child = await measureInChild();
  report("Keel process before the runs (rss / heap)", `${mb(child.before.rss).toFixed(1)} / ${mb(child.before.heap).toFixed(1)}`, "MB", "baseline (same process, runs not started)");
  report(`Keel process with ${child.pending} waiting (rss / heap)`, `${mb(child.after.rss).toFixed(1)} / ${mb(child.after.heap).toFixed(1)}`, "MB", "goal rss < 200 MB");
  report("added by the waiting runs (rss / heap)", `${mb(child.after.rss - child.before.rss).toFixed(1)} / ${mb(child.after.heap - child.before.heap).toFixed(1)}`, "MB", `runs held in memory: ${child.live}`);

  const keel = testKeel();
  try {
    for (let i = 0; i < 5; i++) await keel.coordinator.run(approvalFlow, { i }); // warm up
    await keel.approvals.idle();
    for (const a of await keel.approvals.list({ status: "pending" })) await keel.approvals.decide(a.id, { decision: "approve" });
    for (let start = 0; start < RUNS; start += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, RUNS - start) }, (_, k) => keel.coordinator.run(approvalFlow, { i: start + k })));
      if (batch.some((r) => r.status !== "waiting")) throw new Error("a run did not wait for its approval");
    }
    await keel.approvals.idle();
    const pending = await keel.approvals.list({ status: "pending", limit: 1000 });
    if (pending.length !== RUNS) throw new Error(`${pending.length} pending approvals, expected ${RUNS}`);

    // time from a decision to the next node starting
    const started = new Map<string, (t: number) => void>();
    const off = keel.coordinator.on((runId, e) => {
      if (e.type === "node.started" && e.node === "after") started.get(runId)?.(performance.now());
    });
    const nextStarted = (runId: string) => new Promise<number>((resolve) => started.set(runId, resolve));
    const serial: number[] = [];
    const syncs0 = keel.store.stats().syncs;
    for (const a of pending.slice(0, 800)) {
      const seen = nextStarted(a.run);
      const t0 = performance.now();
      await keel.approvals.decide(a.id, { decision: "approve" });
      serial.push((await seen) - t0);
    }
    const syncsPerDecision = (keel.store.stats().syncs - syncs0) / 800;
    const burst: number[] = [];
    await Promise.all(
      pending.slice(800, 900).map(async (a) => {
        const seen = nextStarted(a.run);
        const t0 = performance.now();
        await keel.approvals.decide(a.id, { decision: "approve" });
        burst.push((await seen) - t0);
      }),
    );
    off();

    // baseline: the engine resuming a waiting node, no approval store involved
    const timers = await Promise.all(Array.from({ length: 100 }, () => keel.coordinator.run(timerFlow, {})));
    const offB = keel.coordinator.on((runId, e) => {
      if (e.type === "node.started" && e.node === "after") started.get(runId)?.(performance.now());
    });
    const base: number[] = [];
    for (const r of timers) {
      const seen = nextStarted(r.runId);
      const t0 = performance.now();
      void keel.coordinator.wake(r.runId, "wait", { timedOut: true });
      base.push((await seen) - t0);
    }
    offB();

    const s = [...serial].sort((x, y) => x - y);
    const b = [...burst].sort((x, y) => x - y);
    const e = [...base].sort((x, y) => x - y);
    report("decision → next node started, one at a time p50", percentile(s, 50), "ms", `(${s.length} decisions)`);
    report("decision → next node started, one at a time p99", percentile(s, 99), "ms", "goal p99 < 50 ms");
    report("decision → next node started, 100 at once p50", percentile(b, 50), "ms");
    report("decision → next node started, 100 at once p99", percentile(b, 99), "ms");
    report("baseline: engine wake → next node p50", percentile(e, 50), "ms", "(wait.timer woken directly)");
    report("baseline: engine wake → next node p99", percentile(e, 99), "ms");
    report("run-log fdatasyncs per decision", syncsPerDecision, "", "(the approval store's own fsyncs come on top)");
    // let the resumed runs finish before closing
    for (let i = 0; i < 500 && keel.coordinator.liveRuns() > 0; i++) await new Promise((r) => setTimeout(r, 20));
  } finally {
    await keel.dispose();
  }
}
