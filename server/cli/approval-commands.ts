/**
 * `keel approvals`, `keel approve ID`, `keel reject ID`. When no server owns the data folder the
 * command records the decision itself and carries the run on to its next wait or its end,
 * printing the run's result like `keel run` (same exit codes); when a server owns it, the
 * decision goes to the server's API (token from $KEEL_TOKEN or <data>/token).
 */
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { KeelError, ValidationError, type ErrorCode } from "../../runtime/errors.ts";
import { APPROVAL_STATUSES, type Approval, type ApprovalStatus, type DecisionRequest } from "../../runtime/approvals/types.ts";
import { lockDataFolder } from "../../storage/lock.ts";
import { openKeel } from "../keel.ts";
import { owningServer } from "../server-address.ts";
import { command, dataDirOf, printJson } from "./common.ts";
import { progressPrinter } from "./progress.ts";
import { exitCodeOf } from "./run-commands.ts";

type DataOpts = { data?: string; quiet?: boolean };

export function registerApprovalCommands(program: Command): void {
  program
    .command("approvals")
    .description("list approvals waiting for a decision (one JSON line each: id, run, flow, title, confidence, due)")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .option("--status <status>", `pending (default), ${APPROVAL_STATUSES.filter((s) => s !== "pending").join(", ")} or all`)
    .option("--limit <n>", "at most this many", "100")
    .action(
      command(async (opts: DataOpts & { status?: string; limit: string }) => {
        const status = opts.status ?? "pending";
        if (status !== "all" && !APPROVAL_STATUSES.includes(status as ApprovalStatus)) throw new ValidationError(`--status must be one of ${[...APPROVAL_STATUSES, "all"].join(", ")}`);
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError("--limit must be an integer from 1 to 1000");
        const dataDir = dataDirOf(opts);
        let items: Approval[];
        const server = owningServer(dataDir);
        if (server?.url) {
          items = ((await callServer(dataDir, server.url, "GET", `api/approvals?status=${status}&limit=${limit}`)) as { items: Approval[] }).items;
        } else {
          const keel = openKeel({ dataDir });
          try {
            items = await keel.approvals.list({ status: status === "all" ? undefined : (status as ApprovalStatus), limit });
          } finally {
            await keel.close();
          }
        }
        for (const a of items) {
          printJson({ id: a.id, run: a.run, flow: a.flow, title: a.title, confidence: a.confidence, due: a.due, ...(status === "pending" ? {} : { status: a.status }) });
        }
      }),
    );

  program
    .command("approve")
    .description("approve (or with --edit, edit and approve) an approval; without a server, carries its run on and prints the run's result")
    .argument("<id>", "approval id (from `keel approvals`)")
    .option("--edit <field=value>", "change a field of the proposal (repeatable); the value is read as JSON unless the field holds text", collect, [])
    .option("--reason <text>", "why (kept with the decision)")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .option("-q, --quiet", "no progress lines")
    .action(
      command(async (id: string, opts: DataOpts & { edit: string[]; reason?: string }) =>
        decideFromCli(id, opts, (approval) => ({
          decision: "approve",
          ...(opts.reason ? { reason: opts.reason } : {}),
          ...(opts.edit.length ? { edits: parseEdits(opts.edit, approval?.proposal) } : {}),
        })),
      ),
    );

  program
    .command("reject")
    .description("reject an approval; without a server, carries its run on and prints the run's result")
    .argument("<id>", "approval id (from `keel approvals`)")
    .requiredOption("--reason <text>", "why (the run's rejected path sees it)")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .option("-q, --quiet", "no progress lines")
    .action(command(async (id: string, opts: DataOpts & { reason: string }) => decideFromCli(id, opts, () => ({ decision: "reject", reason: opts.reason }))));
}

async function decideFromCli(id: string, opts: DataOpts, build: (approval: Approval | undefined) => DecisionRequest): Promise<number> {
  const dataDir = dataDirOf(opts);
  const server = owningServer(dataDir);
  if (server) {
    if (!server.url) {
      throw new KeelError("CONFLICT", `the data folder ${dataDir} is in use by process ${server.pid} (keel ${server.command}); wait for it to finish, or start a server (keel start) and decide through it`);
    }
    const current = ((await callServer(dataDir, server.url, "GET", `api/approvals/${encodeURIComponent(id)}`)) as { approval: Approval }).approval;
    const { approval } = (await callServer(dataDir, server.url, "POST", `api/approvals/${encodeURIComponent(id)}`, build(current))) as { approval: Approval };
    printJson(approval);
    return 0;
  }
  const keel = openKeel({ dataDir });
  let lock: ReturnType<typeof lockDataFolder> | undefined;
  const off = opts.quiet ? () => {} : keel.coordinator.on(progressPrinter());
  try {
    lock = lockDataFolder(keel.dataDir, "approve");
    const { settled } = await keel.approvals.decide(id, build(await keel.approvals.get(id)), { awaitRun: "not-timer" });
    const result = await settled!;
    printJson(result);
    return exitCodeOf(result);
  } finally {
    off();
    await keel.close();
    lock?.release();
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `field=value` pairs as edits: text fields take the value as text, others read it as JSON (falling back to text). */
export function parseEdits(pairs: string[], proposal: unknown): Record<string, unknown> {
  const fields = proposal !== null && typeof proposal === "object" && !Array.isArray(proposal) ? (proposal as Record<string, unknown>) : {};
  const edits: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new ValidationError(`--edit ${JSON.stringify(pair)}: expected field=value`);
    const key = pair.slice(0, eq);
    const text = pair.slice(eq + 1);
    if (typeof fields[key] === "string") edits[key] = text;
    else {
      try {
        edits[key] = JSON.parse(text);
      } catch {
        edits[key] = text;
      }
    }
  }
  return edits;
}

/** Calls the server that owns the data folder; its error answers become KeelErrors with the same code. */
async function callServer(dataDir: string, base: string, method: string, rel: string, body?: unknown): Promise<unknown> {
  const token = process.env.KEEL_TOKEN || readToken(dataDir);
  let res: Response;
  try {
    res = await fetch(new URL(rel, base), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new KeelError("TRANSIENT", `the server at ${base} (which owns ${dataDir}) did not answer: ${(e as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeelError("INTERNAL", `the server at ${base} answered ${res.status} with something that is not JSON`);
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: ErrorCode; message?: string } }).error;
    throw new KeelError(err?.code ?? "INTERNAL", err?.message ?? `the server answered ${res.status}`);
  }
  return json;
}

function readToken(dataDir: string): string {
  try {
    return fs.readFileSync(path.join(dataDir, "token"), "utf8").trim();
  } catch {
    throw new KeelError("UNAUTHORIZED", `no token to call the server with: set KEEL_TOKEN or keep ${path.join(dataDir, "token")}`);
  }
}
