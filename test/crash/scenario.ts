/**
 * One crash scenario on the order flow: `keel run` killed as planned, then `keel resume` killed
 * as planned (zero or more times), then a last `keel resume` that must finish the run. Checks
 * everything the issue promises: the run succeeds with the output of an uninterrupted run, no
 * finished node runs again, and each action's side effect happens exactly once at the server.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import type { RunResult } from "../../runtime/result.ts";
import { startHttpRecorder, type HttpRecorder } from "../support/http-recorder.ts";
import { tempDir } from "../support/keel.ts";
import { describePlan, progressOf, readRuns, resultOf, runKeel, seededRandom, type ChildOutcome, type KillPlan } from "./harness.ts";
import { ACTION_PATHS, ORDER_INPUTS, orderFlow } from "./order-flow.ts";

/** An input of the order flow. */
export type OrderInput = (typeof ORDER_INPUTS)[number];

/** What an uninterrupted run of an input does. */
export interface Baseline {
  result: RunResult;
  /** Normalised progress lines. */
  lines: string[];
  /** Action nodes the run called (the branch decides which). */
  actions: string[];
  /** From the first progress line to the process exit. */
  durationMs: number;
}

/** A kill plan, or a function choosing one from the nodes already done when it applies. */
export type PlanStep = KillPlan | ((done: Set<string>) => KillPlan);

/** What happened in a scenario, for the tally. */
export interface ScenarioOutcome {
  runInterrupted: boolean;
  heldKill: boolean;
  resumesKilled: number;
}

/** A recorder whose answers take a seeded 2–20 ms, so kills land while a run is busy. */
export async function orderServer(seed: number): Promise<HttpRecorder> {
  const rng = seededRandom(seed ^ 0x5eed); // its own stream: the plan does not depend on request count
  return startHttpRecorder({ delayMs: () => rng.int(2, 20) });
}

async function withOrderFlow<T>(seed: number, body: (ctx: { server: HttpRecorder; flowFile: string; data: string }) => Promise<T>): Promise<T> {
  const server = await orderServer(seed);
  const { dir, cleanup } = tempDir("keel-crash-");
  const flowFile = path.join(dir, "flow.json");
  fs.writeFileSync(flowFile, JSON.stringify(orderFlow(server.url)));
  try {
    return await body({ server, flowFile, data: path.join(dir, "data") });
  } finally {
    await server.close();
    cleanup();
  }
}

/** Runs the order flow once, uninterrupted. */
export async function measureBaseline(input: OrderInput): Promise<Baseline> {
  return withOrderFlow(1, async ({ server, flowFile, data }) => {
    const out = await runKeel(["run", flowFile, "--input", JSON.stringify(input), "--data", data]);
    expect(out.code, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout) as RunResult;
    expect(result.status).toBe("succeeded");
    const actions = Object.keys(ACTION_PATHS).filter((id) => result.nodes[id].status === "succeeded");
    expect(server.effects.size).toBe(actions.length);
    return { result, lines: out.lines, actions, durationMs: out.activeMs };
  });
}

/** Runs a scenario and checks its end state; failures name the seed and what happened. */
export async function crashScenario(options: { seed: number; input: OrderInput; base: Baseline; plans: PlanStep[] }): Promise<ScenarioOutcome> {
  const { seed, input, base, plans } = options;
  const trail: string[] = [`input ${input.order}`];
  const why = () => `seed ${seed}: ${trail.join(" → ")} (replay: KEEL_CRASH_ONLY=${seed})`;
  const outcome: ScenarioOutcome = { runInterrupted: false, heldKill: false, resumesKilled: 0 };

  await withOrderFlow(seed, async ({ server, flowFile, data }) => {
    const phases: string[] = [];
    const snapshots: Array<{ phase: number; succeeded: Set<string>; started: Map<string, number> }> = [];
    let done = new Set<string>();
    let first: ChildOutcome | undefined;
    let last: ChildOutcome | undefined;

    for (const [i, step] of plans.entries()) {
      const plan = typeof step === "function" ? step(done) : step;
      const phase = i === 0 ? "run" : `resume ${i}`;
      trail.push(`${phase}: ${describePlan(plan)}`);
      phases.push(phase);
      server.setPhase(phase);
      const args = i === 0 ? ["run", flowFile, "--input", JSON.stringify(input), "--data", data] : ["resume", "--data", data];
      last = await runKeel(args, { plan, server });
      first ??= last;
      if (!last.killed) {
        trail.push(`${phase} finished before the kill`);
        expect(last.code, `${why()}\n${last.stderr}`).toBe(0);
        break;
      }
      if (i === 0) outcome.runInterrupted = true;
      else outcome.resumesKilled++;
      if (plan.kind === "request") outcome.heldKill = true;
      const runs = readRuns(data);
      expect(runs.length, why()).toBe(1);
      const progress = progressOf(runs[0].events);
      done = progress.succeeded;
      snapshots.push({ phase: phases.length - 1, ...progress });
      trail.push(`killed with [${[...done].join(",")}] done`);
    }
    if (last!.killed) {
      phases.push("final");
      server.setPhase("final");
      last = await runKeel(["resume", "--data", data], { server });
      expect(last.code, `${why()}\n${last.stderr}`).toBe(0);
    }

    const runs = readRuns(data);
    expect(runs.length, why()).toBe(1);
    const run = runs[0];
    const final = resultOf(run);
    // the run ends as an uninterrupted run of the same flow and input does
    expect(final.status, why()).toBe("succeeded");
    expect(final.output, why()).toEqual(base.result.output);
    const view = (r: RunResult) => Object.fromEntries(Object.entries(r.nodes).map(([id, n]) => [id, { status: n.status, output: n.output }]));
    expect(view(final), why()).toEqual(view(base.result));
    // what the processes printed agrees with the log
    for (const line of last!.stdout.split("\n").filter(Boolean)) expect(JSON.parse(line), why()).toEqual(final);
    if (!first!.killed) expect(JSON.parse(first!.stdout), why()).toEqual(final);

    // no node ran again once it had succeeded; nodes finished before a kill never restarted
    const seen = new Set<string>();
    for (const e of run.events) {
      if (e.type === "node.started") expect(seen.has(e.node), `${why()}: ${e.node} started again after it succeeded (seq ${e.seq})`).toBe(false);
      if (e.type === "node.succeeded") {
        expect(seen.has(e.node), `${why()}: ${e.node} succeeded twice`).toBe(false);
        seen.add(e.node);
      }
    }
    const finalStarts = progressOf(run.events).started;
    for (const snap of snapshots) {
      for (const id of snap.succeeded) {
        expect(finalStarts.get(id), `${why()}: ${id} finished before the kill in ${phases[snap.phase]}`).toBe(snap.started.get(id));
      }
    }

    // every action's side effect happened exactly once, under its stable key
    expect(server.conflicts, why()).toEqual([]);
    expect(server.requests.filter((r) => !r.key), why()).toEqual([]);
    const prefix = `keel:${run.runId}:`;
    const effectsByNode = new Map<string, number>();
    for (const effect of server.effects.values()) {
      expect(effect.key.startsWith(prefix), `${why()}: key ${effect.key} is not ${prefix}<node>`).toBe(true);
      const node = effect.key.slice(prefix.length);
      expect(effect.path.startsWith(ACTION_PATHS[node] ?? "?"), `${why()}: key ${effect.key} called ${effect.path}`).toBe(true);
      effectsByNode.set(node, (effectsByNode.get(node) ?? 0) + 1);
    }
    expect(Object.fromEntries(effectsByNode), why()).toEqual(Object.fromEntries(base.actions.map((a) => [a, 1])));
    // an action that had its result before a kill is never called again
    for (const snap of snapshots) {
      const later = new Set(phases.slice(snap.phase + 1));
      for (const id of base.actions.filter((a) => snap.succeeded.has(a))) {
        const again = server.requests.filter((r) => r.key === `${prefix}${id}` && later.has(r.phase));
        expect(again.length, `${why()}: ${id} was called again after it finished in ${phases[snap.phase]}`).toBe(0);
      }
    }
  });
  return outcome;
}
