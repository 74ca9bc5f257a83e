/**
 * Crash-test plumbing: runs `keel` as a real child process, kills it with SIGKILL at a planned
 * moment (a progress line on stderr, a request held open at the server, or a delay), and reads
 * run logs straight from the data folder, verifying their hash chains.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { toRunResult, type RunResult } from "../../runtime/result.ts";
import type { RunEvent } from "../../runtime/schema/events.ts";
import { foldEvents } from "../../runtime/state.ts";
import { readAllRuns } from "../../storage/eventlog/segment-reader.ts";
import type { HttpRecorder } from "../support/http-recorder.ts";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const KEEL_BIN = path.join(REPO_ROOT, "bin", "keel.js");
/** A child that has not exited by then is killed and the test fails. */
const CHILD_LIMIT_MS = 45_000;

/** A small seeded PRNG (mulberry32): the same seed gives the same plan. */
export function seededRandom(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(items: readonly T[]): T } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return { next, int, pick: (items) => items[int(0, items.length - 1)] };
}

/** When to kill a child. */
export type KillPlan =
  /** When a progress line (normalised, see `normalizeLine`) starting with `line` appears, after `delayMs`. */
  | { kind: "line"; line: string; delayMs: number }
  /** When the server receives a request under `pathPrefix`, holding it open before or after its effect. */
  | { kind: "request"; pathPrefix: string; phase: "before-effect" | "after-effect" }
  /** `ms` after the child's first progress line (the run started or resumed). */
  | { kind: "delay"; ms: number };

/** How a child ended. */
export interface ChildOutcome {
  killed: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  lines: string[];
  /** From the first progress line to the exit (ms). */
  activeMs: number;
}

/** A progress line without the parts that differ between runs: run ids and timings. */
export function normalizeLine(line: string): string {
  return line
    .replace(/r-\d{8}-\d{6}-[0-9a-f]+/g, "RUN")
    .replace(/ (done )?in [\d.]+ (ms|s)$/, (_m, done) => (done ? " done" : ""))
    .trim();
}

/** Describes a plan for failure messages. */
export function describePlan(plan: KillPlan | undefined): string {
  if (!plan) return "no kill";
  if (plan.kind === "line") return `kill ${plan.delayMs} ms after "${plan.line}"`;
  if (plan.kind === "request") return `kill while ${plan.pathPrefix} is held ${plan.phase}`;
  return `kill ${plan.ms} ms after the first progress line`;
}

/** Runs `keel <args>` and kills it as planned (or lets it finish when no plan is given). */
export async function runKeel(args: string[], options: { plan?: KillPlan; server?: HttpRecorder } = {}): Promise<ChildOutcome> {
  const { plan, server } = options;
  const child = spawn(process.execPath, [KEEL_BIN, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const timers: ReturnType<typeof setTimeout>[] = [];
  let wantedKill = false;
  const kill = () => {
    if (wantedKill || child.exitCode !== null || child.signalCode !== null) return;
    wantedKill = true;
    child.kill("SIGKILL");
  };
  const later = (ms: number) => (ms <= 0 ? kill() : timers.push(setTimeout(kill, ms)));
  const hold = plan?.kind === "request" ? server!.holdNext({ pathPrefix: plan.pathPrefix, phase: plan.phase }) : undefined;
  void hold?.arrived.then(kill);

  let stdout = "";
  let stderr = "";
  let partial = "";
  const lines: string[] = [];
  let firstLineAt = 0;
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    partial += d;
    let nl: number;
    while ((nl = partial.indexOf("\n")) !== -1) {
      const line = normalizeLine(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
      lines.push(line);
      firstLineAt ||= performance.now();
      if (plan?.kind === "line" && line.startsWith(plan.line)) later(plan.delayMs);
      if (plan?.kind === "delay" && lines.length === 1) later(plan.ms);
    }
  });
  const limit = setTimeout(() => child.kill("SIGKILL"), CHILD_LIMIT_MS);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (c, s) => resolve([c, s])));
  clearTimeout(limit);
  for (const t of timers) clearTimeout(t);
  hold?.cancel();
  if (signal === "SIGKILL" && !wantedKill) throw new Error(`keel ${args.join(" ")} ran over ${CHILD_LIMIT_MS} ms and was stopped\n${stderr}`);
  const activeMs = firstLineAt ? performance.now() - firstLineAt : 0;
  return { killed: signal === "SIGKILL", code, stdout, stderr, lines, activeMs };
}

/** One run's log as found in a data folder, chain verified. */
export interface FoundRun {
  runId: string;
  events: RunEvent[];
  tornTail: boolean;
}

/** Every run in a data folder's segments (`<data>/runs/<hour>/*.seg`), decoded and verified. */
export function readRuns(dataDir: string): FoundRun[] {
  return readAllRuns(path.join(dataDir, "runs")).map(({ runId, events, tornTail }) => ({ runId, events, tornTail }));
}

/** The result `keel show` would print for a run's events. */
export function resultOf(run: FoundRun): RunResult {
  return toRunResult(foldEvents(run.runId, run.events));
}

/** Node ids with a node.succeeded event, and node.started counts per node. */
export function progressOf(events: RunEvent[]): { succeeded: Set<string>; started: Map<string, number> } {
  const succeeded = new Set<string>();
  const started = new Map<string, number>();
  for (const e of events) {
    if (e.type === "node.succeeded") succeeded.add(e.node);
    if (e.type === "node.started") started.set(e.node, (started.get(e.node) ?? 0) + 1);
  }
  return { succeeded, started };
}

/** Runs `tasks` with at most `limit` at once. */
export function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  return async (task) => {
    // a finishing task hands its slot straight to the next in line
    if (active >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      const next = queue.shift();
      if (next) next();
      else active--;
    }
  };
}
