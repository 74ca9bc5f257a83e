/**
 * chain: a 50-node chain of transform nodes, median of 50 runs: per-node overhead and the
 * number of fdatasync calls per run. Baseline in the same run: the same 50 expressions
 * evaluated back to back with no engine (the floor of the expression work itself).
 */
import jsonata from "jsonata";
import { testKeel, transformChain } from "../support/keel.ts";
import { heading, median, report } from "./util.ts";

export async function benchChain(): Promise<void> {
  heading("chain — 50 transform nodes in a row, median of 50 runs");
  const keel = testKeel();
  const flow = transformChain(50);
  for (let i = 0; i < 100; i++) await keel.coordinator.run(flow, { start: 1 }); // warm up: the JIT settles after a few thousand node runs
  const times: number[] = [];
  const syncsBefore = keel.store.stats().syncs;
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    const r = await keel.coordinator.run(flow, { start: 1 });
    times.push(performance.now() - t0);
    if (r.status !== "succeeded") throw new Error(`chain run ${r.status}`);
  }
  const syncs = (keel.store.stats().syncs - syncsBefore) / 50;
  await keel.dispose();

  const exprs = Array.from({ length: 50 }, (_, i) => jsonata(i === 0 ? "input.start" : `nodes.n${i - 1}.output.count + 1`));
  const base: number[] = [];
  for (let r = 0; r < 60; r++) {
    const scope: { input: unknown; nodes: Record<string, { output: unknown }> } = { input: { start: 1 }, nodes: {} };
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) scope.nodes[`n${i}`] = { output: { count: await exprs[i].evaluate(scope) } };
    if (r >= 10) base.push(performance.now() - t0);
  }
  const perNode = median(times) / 50;
  const basePerNode = median(base) / 50;
  report("per-node time (whole run / 50)", perNode, "ms", "goal ≤ 0.05 ms");
  report("baseline: expression alone, per node", basePerNode, "ms", `engine overhead ≈ ${(perNode - basePerNode).toFixed(4)} ms/node`);
  report("fdatasync calls per run", syncs, "", "(files + folders flushed, group commit)");
}
