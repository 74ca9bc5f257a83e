/** `keel run`, `keel resume`, `keel runs`, `keel show`, `keel validate`. */
import type { Command } from "commander";
import { checkFlow } from "../../runtime/prepare.ts";
import { toRunResult, type RunResult } from "../../runtime/result.ts";
import { foldEvents } from "../../runtime/state.ts";
import type { RunStatus } from "../../runtime/schema/events.ts";
import { ValidationError } from "../../runtime/errors.ts";
import { createRegistry } from "../../nodes/index.ts";
import { lockDataFolder } from "../../storage/lock.ts";
import { openKeel } from "../keel.ts";
import { command, dataDirOf, EXIT, printJson } from "./common.ts";
import { readInput, readJsonFile } from "./io.ts";
import { progressPrinter } from "./progress.ts";

/** Opens the data folder for executing runs: takes its lock and prints progress. */
async function withKeel<T>(opts: { data?: string; quiet?: boolean }, what: string, body: (keel: ReturnType<typeof openKeel>) => Promise<T>): Promise<T> {
  const dataDir = dataDirOf(opts);
  const keel = openKeel({ dataDir });
  const lock = lockDataFolder(keel.dataDir, what);
  const off = opts.quiet ? () => {} : keel.coordinator.on(progressPrinter());
  try {
    return await body(keel);
  } finally {
    off();
    await keel.close();
    lock.release();
  }
}

export function exitCodeOf(result: RunResult): number {
  return EXIT[result.status];
}

export function registerRunCommands(program: Command): void {
  program
    .command("run")
    .description("run a flow headless; progress on stderr, the result as JSON on stdout")
    .argument("<flow>", "flow file (JSON)")
    .option("--input <json>", "run input as JSON")
    .option("--input-file <file>", "run input from a JSON file")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .option("-q, --quiet", "no progress lines")
    .action(
      command(async (file: string, opts: { input?: string; inputFile?: string; data?: string; quiet?: boolean }) => {
        const doc = readJsonFile(file, "flow");
        const input = readInput(opts);
        const registry = createRegistry();
        const check = checkFlow(doc, registry);
        if (!check.ok) throw new ValidationError(`${file}: flow is invalid:\n${check.issues.map((i) => `  - ${i.message}`).join("\n")}`);
        return withKeel(opts, "run", async (keel) => {
          const result = await keel.coordinator.run(doc, input, "not-timer");
          printJson(result);
          return exitCodeOf(result);
        });
      }),
    );

  program
    .command("resume")
    .description("finish every run that a crash or restart interrupted; one result line per run")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .option("-q, --quiet", "no progress lines")
    .action(
      command(async (opts: { data?: string; quiet?: boolean }) =>
        withKeel(opts, "resume", async (keel) => {
          let unreadable = 0;
          const results = await keel.coordinator.resumeAll("not-timer", {
            onUnreadable: (_runId, e) => {
              unreadable++;
              process.stderr.write(`keel: ${e.message}\n`);
            },
          });
          for (const r of results) printJson(r);
          if (!opts.quiet) process.stderr.write(`keel: ${results.length} run${results.length === 1 ? "" : "s"} resumed\n`);
          return results.reduce((code, r) => Math.max(code, exitCodeOf(r)), unreadable ? 1 : 0);
        }),
      ),
    );

  program
    .command("runs")
    .description("list runs, newest first, one JSON line each")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .option("--flow <id>", "only runs of this flow")
    .option("--status <status>", "only runs with this status (running, waiting, succeeded, failed, canceled)")
    .option("--limit <n>", "at most this many", "50")
    .action(
      command(async (opts: { data?: string; flow?: string; status?: string; limit: string }) => {
        const statuses = ["running", "waiting", "succeeded", "failed", "canceled"];
        if (opts.status && !statuses.includes(opts.status)) throw new ValidationError(`--status must be one of ${statuses.join(", ")}`);
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new ValidationError("--limit must be a positive integer");
        const keel = openKeel({ dataDir: dataDirOf(opts) });
        const { items } = await keel.index.list({ flowId: opts.flow, status: opts.status as RunStatus | undefined, limit });
        for (const r of items) printJson(r);
      }),
    );

  program
    .command("show")
    .description("print a run's result (and with --events, its whole event log)")
    .argument("<run>", "run id")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .option("--events", "print the event log, one JSON line per event")
    .action(
      command(async (runId: string, opts: { data?: string; events?: boolean }) => {
        const keel = openKeel({ dataDir: dataDirOf(opts) });
        const { events } = await keel.store.read(runId);
        if (opts.events) for (const e of events) printJson(e);
        else printJson(toRunResult(foldEvents(runId, events)));
      }),
    );

  program
    .command("validate")
    .description("check a flow file; prints every problem, exit 3 when invalid")
    .argument("<flow>", "flow file (JSON)")
    .action(
      command(async (file: string) => {
        const doc = readJsonFile(file, "flow");
        const check = checkFlow(doc, createRegistry());
        if (check.ok) {
          process.stderr.write(`${file}: valid (${check.prepared.flow.nodes.length} nodes)\n`);
          return 0;
        }
        throw new ValidationError(`${file}: flow is invalid:\n${check.issues.map((i) => `  - ${i.message}`).join("\n")}`);
      }),
    );
}
