/**
 * throughput: 1,000 runs of a 10-node transform flow in one process, at concurrency 1 and 10:
 * runs per second. Each run is durable when reported: its log is fdatasynced (group commit
 * shares flushes between concurrent runs). Goal: at least 3,000 runs/s at concurrency 10.
 * Baseline in the same run: the same 10 expressions per run evaluated with no engine.
 */
import jsonata from "jsonata";
import { testKeel, transformChain } from "../support/keel.ts";
import { heading, report } from "./util.ts";

const RUNS = 1000;
const NODES = 10;

async function runsPerSecond(concurrency: number): Promise<{ rate: number; syncsPerRun: number; writesPerRun: number }> {
  const keel = testKeel();
  try {
    const flow = transformChain(NODES, "throughput");
    const batch = async (runs: number) => {
      let next = 0;
      const worker = async () => {
        while (next < runs) {
          const i = next++;
          const r = await keel.coordinator.run(flow, { start: i });
          if (r.status !== "succeeded") throw new Error(`throughput run ${r.status}`);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    };
    await batch(300); // warm up at the same concurrency: the figure is the steady state, not the JIT's first runs
    const before = keel.store.stats();
    const t0 = performance.now();
    await batch(RUNS);
    const seconds = (performance.now() - t0) / 1000;
    const after = keel.store.stats();
    return { rate: RUNS / seconds, syncsPerRun: (after.syncs - before.syncs) / RUNS, writesPerRun: (after.writes - before.writes) / RUNS };
  } finally {
    await keel.dispose();
  }
}

async function expressionsAlone(): Promise<number> {
  const exprs = Array.from({ length: NODES }, (_, i) => jsonata(i === 0 ? "input.start" : `nodes.n${i - 1}.output.count + 1`));
  const once = async (start: number) => {
    const scope: { input: unknown; nodes: Record<string, { output: unknown }> } = { input: { start }, nodes: {} };
    for (let i = 0; i < NODES; i++) scope.nodes[`n${i}`] = { output: { count: await exprs[i].evaluate(scope) } };
  };
  for (let i = 0; i < 200; i++) await once(i);
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) await once(i);
  return RUNS / ((performance.now() - t0) / 1000);
}

export async function benchThroughput(): Promise<void> {
  heading(`throughput — ${RUNS} runs of a ${NODES}-node transform flow in one process`);
  const one = await runsPerSecond(1);
  const ten = await runsPerSecond(10);
  const floor = await expressionsAlone();
  report("concurrency 1", one.rate, "runs/s", `${one.syncsPerRun.toFixed(2)} fdatasync, ${one.writesPerRun.toFixed(1)} writes per run`);
  report("concurrency 10", ten.rate, "runs/s", `goal ≥ 3000; ${ten.syncsPerRun.toFixed(2)} fdatasync (group commit), ${ten.writesPerRun.toFixed(1)} writes per run`);
  report("baseline: the 10 expressions alone, no engine", floor, "runs/s");
}
