/**
 * Damaged data on disk: each kind is detected and reported by what and where, and nothing
 * stored is rewritten. The commands run as real processes.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../runtime/result.ts";
import { FileFlowStore } from "../../storage/docs/flow-store.ts";
import { makeFlow, tempDir } from "../support/keel.ts";
import { startServer, type LocalServer } from "../runtime/local-server.ts";
import { hasStackTrace, keelCli } from "./cli.ts";

let server: LocalServer;
let tmp: { dir: string; cleanup: () => void };
beforeAll(async () => {
  server = await startServer();
  tmp = tempDir("keel-corrupt-");
});
afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

function writeFlow(name: string): string {
  const flow = makeFlow(
    [
      { id: "start", type: "trigger.manual" },
      { id: "reserve", type: "action.http", params: { url: `${server.url}/reserve`, body: { who: "{{ input.who }}" } } },
      { id: "shape", type: "transform", params: { set: { who: "{{ input.who }}", status: "{{ nodes.reserve.output.status }}" } } },
      { id: "notify", type: "action.http", params: { url: `${server.url}/notify`, body: "{{ nodes.shape.output }}" } },
    ],
    [["start", "reserve"], ["reserve", "shape"], ["shape", "notify"]],
    { id: name },
  );
  const file = path.join(tmp.dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(flow));
  return file;
}

/** The segment holding a run's log: each `keel run` here writes one run, into a segment of its own. */
function logFile(data: string, runId: string): string {
  const hour = path.join(data, "runs", runId.slice(2, 13));
  const segments = fs.readdirSync(hour).filter((f) => f.endsWith(".seg")).map((f) => path.join(hour, f));
  const holding = segments.filter((f) => fs.readFileSync(f, "latin1").includes(`${runId} `));
  expect(holding).toHaveLength(1);
  return holding[0];
}

/** Turns a finished run back into one a crash interrupted: keep `lines` whole lines plus `extra` bytes of the next. */
function crashAt(data: string, runId: string, lines: number, extra: number): void {
  const file = logFile(data, runId);
  const buf = fs.readFileSync(file);
  let cut = 0;
  for (let i = 0; i < lines; i++) cut = buf.indexOf(10, cut) + 1;
  fs.writeFileSync(file, buf.subarray(0, cut + extra));
  const journal = path.join(data, "runs", "open.log");
  const kept = fs.readFileSync(journal, "utf8").split("\n").filter((l) => l !== `-${runId}`);
  fs.writeFileSync(journal, kept.join("\n"));
}

async function runOk(flowFile: string, data: string, who: string): Promise<RunResult> {
  const r = await keelCli(["run", flowFile, "--data", data, "--input", JSON.stringify({ who }), "-q"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as RunResult;
}

const lineOf = (data: string, runId: string, type: string, node?: string) =>
  fs
    .readFileSync(logFile(data, runId), "utf8")
    .split("\n")
    .findIndex((l) => l.includes(`"type":"${type}"`) && (node === undefined || l.includes(`"node":"${node}"`))) + 1;

describe("a torn last line", () => {
  it("is dropped; the run resumes from its last checkpoint and succeeds", async () => {
    const data = path.join(tmp.dir, "torn");
    const original = await runOk(writeFlow("torn"), data, "acme");
    const keyReserve = `keel:${original.runId}:reserve`;
    expect(server.requests.filter((r) => r.key === keyReserve)).toHaveLength(1);

    // the crash came while the line after reserve's checkpoint was being written
    crashAt(data, original.runId, lineOf(data, original.runId, "node.succeeded", "reserve"), 25);
    const r = await keelCli(["resume", "--data", data]);
    expect(r.code, r.stderr).toBe(0);
    expect(hasStackTrace(r.stderr)).toBe(false);
    const resumed = JSON.parse(r.stdout.trim()) as RunResult;
    expect(resumed.runId).toBe(original.runId);
    expect(resumed.status).toBe("succeeded");
    expect(resumed.output).toEqual(original.output);
    // reserve was finished before the crash: not called again; notify was redone under its key
    expect(server.requests.filter((q) => q.key === keyReserve)).toHaveLength(1);
    expect(server.requests.filter((q) => q.key === `keel:${original.runId}:notify`)).toHaveLength(2);

    const show = await keelCli(["show", original.runId, "--data", data, "--events"]);
    expect(show.code, show.stderr).toBe(0);
    const events = show.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; node?: string; seq: number });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === "node.started" && e.node === "reserve")).toHaveLength(1);
    expect(events.filter((e) => e.type === "run.resumed")).toHaveLength(1);
  });
});

describe("a flipped byte in the middle of a log", () => {
  let data: string;
  let bad: RunResult;
  let before: Buffer;

  beforeAll(async () => {
    data = path.join(tmp.dir, "flipped");
    const flowFile = writeFlow("flipped");
    bad = await runOk(flowFile, data, "bad");
    const file = logFile(data, bad.runId);
    const buf = fs.readFileSync(file);
    const line3 = buf.indexOf(10, buf.indexOf(10) + 1) + 1;
    buf[line3 + 50] ^= 0x04;
    fs.writeFileSync(file, buf);
    before = Buffer.from(buf);
  });

  it("keel show reports the run and the line, without a stack trace", async () => {
    for (const args of [["show", bad.runId], ["show", bad.runId, "--events"]]) {
      const r = await keelCli([...args, "--data", data]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(`run ${bad.runId}: line 3 of ${logFile(data, bad.runId)} is corrupt (checksum mismatch)`);
      expect(hasStackTrace(r.stderr)).toBe(false);
    }
    expect(fs.readFileSync(logFile(data, bad.runId)).equals(before)).toBe(true);
  });

  it("keel resume reports it, resumes the other runs, and leaves the log byte for byte as it was", async () => {
    // the damaged run was interrupted too, and so was a healthy one
    const good = await runOk(writeFlow("flipped-good"), data, "good");
    crashAt(data, good.runId, lineOf(data, good.runId, "node.succeeded", "shape"), 0);
    const journal = path.join(data, "runs", "open.log");
    fs.appendFileSync(journal, `+${bad.runId}\n`);

    const r = await keelCli(["resume", "--data", data]);
    expect(r.stderr).toContain(`run ${bad.runId}: line 3 of ${logFile(data, bad.runId)} is corrupt (checksum mismatch)`);
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as RunResult);
    expect(lines.map((l) => [l.runId, l.status])).toEqual([[good.runId, "succeeded"]]);
    expect(lines[0].output).toEqual(good.output);
    expect(fs.readFileSync(logFile(data, bad.runId)).equals(before)).toBe(true);

    // asked again, it says the same and still changes nothing
    const again = await keelCli(["resume", "--data", data, "-q"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`line 3 of ${logFile(data, bad.runId)}`);
    expect(fs.readFileSync(logFile(data, bad.runId)).equals(before)).toBe(true);
  });
});

describe("a truncated lowdb file", () => {
  it("flow document: a clear error naming the file, which stays as it was", async () => {
    const dir = path.join(tmp.dir, "flows");
    const store = new FileFlowStore(dir);
    const flow = makeFlow([{ id: "a", type: "transform" }], [], { id: "proposal" }) as never;
    await store.put(flow);
    const file = path.join(dir, "proposal.json");
    const whole = fs.readFileSync(file);
    fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    const half = fs.readFileSync(file);

    const fresh = new FileFlowStore(dir);
    await expect(fresh.get("proposal")).rejects.toMatchObject({ code: "CORRUPT", message: expect.stringContaining(file) });
    await expect(fresh.list()).rejects.toMatchObject({ code: "CORRUPT", message: expect.stringContaining(file) });
    await expect(fresh.put(flow)).rejects.toMatchObject({ code: "CORRUPT" });
    await expect(fresh.delete("proposal")).rejects.toMatchObject({ code: "CORRUPT" });
    expect(fs.readFileSync(file).equals(half)).toBe(true);
  });

  it("run-index shard: keel runs names the file; runs still execute; the file stays as it was", async () => {
    const data = path.join(tmp.dir, "index");
    const flowFile = writeFlow("indexed");
    const first = await runOk(flowFile, data, "one");
    const dir = path.join(data, "index", "runs");
    const shards = fs.readdirSync(dir).filter((n) => n.endsWith(".json"));
    expect(shards.length).toBeGreaterThan(0);
    const shard = path.join(dir, shards[0]);
    const whole = fs.readFileSync(shard);
    fs.writeFileSync(shard, whole.subarray(0, whole.length - 10));
    const cut = fs.readFileSync(shard);

    const runs = await keelCli(["runs", "--data", data]);
    expect(runs.code).toBe(1);
    expect(runs.stderr).toContain(shard);
    expect(runs.stderr).toMatch(/corrupt/);
    expect(hasStackTrace(runs.stderr)).toBe(false);

    // the index is derived data: a run still runs, and its log is the truth
    const r = await keelCli(["run", flowFile, "--data", data, "--input", '{"who":"two"}', "-q"]);
    expect(r.code, r.stderr).toBe(0);
    const second = JSON.parse(r.stdout) as RunResult;
    expect(second.status).toBe("succeeded");
    if (second.runId.slice(2, 13) === first.runId.slice(2, 13)) expect(r.stderr).toContain(shard); // same hour, same shard
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(fs.readFileSync(shard).equals(cut)).toBe(true);
    const show = await keelCli(["show", first.runId, "--data", data]);
    expect(show.code).toBe(0);
    expect((JSON.parse(show.stdout) as RunResult).status).toBe("succeeded");
  });
});
