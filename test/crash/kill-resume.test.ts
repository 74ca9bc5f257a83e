/**
 * Seeded crash tests with real processes: `keel run` on the order flow is killed with SIGKILL at
 * a planned moment (a progress line, a request held open at the server before or after its
 * effect, or a delay), a third of the time `keel resume` is killed too, and a last `keel resume`
 * must finish the run exactly as an uninterrupted run would, with every side effect applied once.
 *
 * Replay one scenario: KEEL_CRASH_ONLY=<seed> npx vitest run test/crash/kill-resume.test.ts
 * Explore others:      KEEL_CRASH_SEED=<first seed> KEEL_CRASH_COUNT=<n> npx vitest run test/crash
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limiter, seededRandom, type KillPlan } from "./harness.ts";
import { ACTION_PATHS, ORDER_INPUTS } from "./order-flow.ts";
import { crashScenario, measureBaseline, type Baseline, type PlanStep } from "./scenario.ts";

const FIRST_SEED = Number(process.env.KEEL_CRASH_SEED ?? 4100);
const COUNT = Number(process.env.KEEL_CRASH_COUNT ?? 22);
const ONLY = process.env.KEEL_CRASH_ONLY?.split(",").map(Number);
const SEEDS = ONLY ?? Array.from({ length: COUNT }, (_, i) => FIRST_SEED + i);
/** Scenarios at once: each runs one process at a time. */
const pool = limiter(3);

const baselines = new Map<string, Baseline>();
const tally = { interrupted: 0, held: 0, resumesKilled: 0 };
type Rng = ReturnType<typeof seededRandom>;

const NODE_LINE = /^(?:…|✓) (\S+) (?:started|done)/;
const held = (rng: Rng, actions: string[]): KillPlan => ({
  kind: "request",
  pathPrefix: ACTION_PATHS[rng.pick(actions)],
  phase: rng.pick(["before-effect", "after-effect"] as const),
});

/** The kill of `keel run`: the seed picks the kind, then the moment. */
function firstPlan(seed: number, rng: Rng, base: Baseline): KillPlan {
  if (seed % 3 === 0) return held(rng, base.actions);
  if (seed % 3 === 1) return { kind: "line", line: rng.pick(base.lines.slice(0, -1)), delayMs: rng.pick([0, 0, 1, 3]) };
  return { kind: "delay", ms: rng.int(0, Math.round(base.durationMs)) };
}

/** A kill of `keel resume`, aimed at work still left when it applies. */
function resumePlan(rng: Rng, base: Baseline, done: Set<string>): KillPlan {
  const pending = base.actions.filter((a) => !done.has(a));
  if (pending.length && rng.next() < 0.6) return held(rng, pending);
  const lines = base.lines.filter((l) => {
    const m = NODE_LINE.exec(l);
    return m && !done.has(m[1]);
  });
  if (lines.length) return { kind: "line", line: rng.pick(lines), delayMs: rng.pick([0, 1]) };
  return { kind: "line", line: "▶ run RUN resumed", delayMs: rng.int(0, 5) };
}

describe("kill -9 at seeded moments, then keel resume", () => {
  beforeAll(async () => {
    const results = await Promise.all(ORDER_INPUTS.map((input) => measureBaseline(input)));
    ORDER_INPUTS.forEach((input, i) => baselines.set(input.order, results[i]));
  }, 120_000);

  afterAll(() => {
    console.log(
      `crash tests: ${tally.interrupted} of ${SEEDS.length} runs interrupted (${tally.held} kills between a request and its response), ${tally.resumesKilled} resumes killed`,
    );
    if (ONLY) return;
    // a delay kill may land after its run already finished; nearly all must interrupt it
    expect(tally.interrupted, "runs the kills interrupted").toBeGreaterThanOrEqual(SEEDS.length - 4);
    expect(tally.held, "kills between an action's request and its response").toBeGreaterThanOrEqual(Math.floor(SEEDS.length / 3));
  });

  for (const seed of SEEDS) {
    it.concurrent(
      `seed ${seed}`,
      () =>
        pool(async () => {
          const rng = seededRandom(seed);
          const input = rng.pick(ORDER_INPUTS);
          const base = baselines.get(input.order)!;
          const plans: PlanStep[] = [firstPlan(seed, rng, base)];
          if (rng.next() < 0.35) plans.push((done) => resumePlan(rng, base, done));
          const out = await crashScenario({ seed, input, base, plans });
          if (out.runInterrupted) tally.interrupted++;
          if (out.heldKill) tally.held++;
          tally.resumesKilled += out.resumesKilled;
        }),
      180_000,
    );
  }
});
