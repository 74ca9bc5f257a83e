/** The approval commands through the real CLI: list, approve with edits (carrying the run on), reject, decided once. */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKeel } from "../crash/harness.ts";
import { tempDir } from "../support/keel.ts";
import { approvalFlow } from "./flows.ts";

describe("keel approvals / approve / reject", () => {
  let dir: string;
  let cleanup: () => void;
  let flowFile: string;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
    flowFile = path.join(dir, "flow.json");
    fs.writeFileSync(flowFile, JSON.stringify(approvalFlow()));
  });
  afterAll(() => cleanup());
  const data = () => path.join(dir, "data");

  it("a run waits (exit 2), is listed, approved with an edit (exit 0, result like keel run), and cannot be decided twice", async () => {
    const run = await runKeel(["run", flowFile, "--input", JSON.stringify({ client: "acme", amount: 5000, confidence: 0.3 }), "--data", data(), "-q"]);
    expect(run.code).toBe(2);
    const waiting = JSON.parse(run.stdout);
    expect(waiting.status).toBe("waiting");

    const list = await runKeel(["approvals", "--data", data()]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(Object.keys(lines[0]).sort()).toEqual(["confidence", "due", "flow", "id", "run", "title"]);
    expect(lines[0]).toMatchObject({ run: waiting.runId, flow: "proposal", title: "Send the proposal to acme?", confidence: 0.3 });

    const approve = await runKeel(["approve", lines[0].id, "--edit", "amount=4200", "--edit", "subject=Revised: 4200", "--data", data(), "-q"]);
    expect(approve.stderr).toBe("");
    expect(approve.code).toBe(0);
    const result = JSON.parse(approve.stdout);
    expect(result).toMatchObject({ runId: waiting.runId, status: "succeeded", nodes: { write: { status: "succeeded" }, note: { status: "skipped" } } });
    expect(result.nodes.approve.output.proposal).toEqual({ to: "acme@example.com", subject: "Revised: 4200", amount: 4200 });
    expect(JSON.parse(fs.readFileSync(path.join(data(), "outbox", "proposals", "acme.json"), "utf8")).amount).toBe(4200);

    const again = await runKeel(["reject", lines[0].id, "--reason", "too late", "--data", data()]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`approval ${lines[0].id} was already decided: approved`);
    expect((await runKeel(["approvals", "--data", data()])).stdout).toBe("");
  });

  it("reject needs a reason, and carries the run down its rejected path", async () => {
    const run = await runKeel(["run", flowFile, "--input", JSON.stringify({ client: "globex", amount: 100, confidence: 0.3 }), "--data", data(), "-q"]);
    expect(run.code).toBe(2);
    const [line] = (await runKeel(["approvals", "--data", data()])).stdout.trim().split("\n").map((l) => JSON.parse(l));
    const noReason = await runKeel(["reject", line.id, "--data", data()]);
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).toContain("--reason");
    const reject = await runKeel(["reject", line.id, "--reason", "not a client", "--data", data(), "-q"]);
    expect(reject.code).toBe(0);
    expect(JSON.parse(reject.stdout)).toMatchObject({ status: "succeeded", output: { note: { rejected: true, reason: "not a client" } } });
  });
});

describe("keel approve beside a running server", () => {
  it("sends the decision to the server's API (which carries the run on) instead of touching the data folder", async () => {
    const { startServer } = await import("../../server/start.ts");
    const { dir, cleanup } = tempDir();
    const server = await startServer({ dataDir: path.join(dir, "data"), port: 0, log: () => {} });
    try {
      const run = await server.keel.coordinator.run(approvalFlow(), { client: "initech", amount: 10, confidence: 0.1 });
      await server.keel.approvals.idle();
      const settled = server.keel.coordinator.settled(run.runId);
      const listed = await runKeel(["approvals", "--data", path.join(dir, "data")]);
      const [line] = listed.stdout.trim().split("\n").map((l) => JSON.parse(l));
      expect(line.run).toBe(run.runId);
      const approve = await runKeel(["approve", line.id, "--edit", "amount=12", "--data", path.join(dir, "data")]);
      expect(approve.stderr).toBe("");
      expect(approve.code).toBe(0);
      expect(JSON.parse(approve.stdout)).toMatchObject({ id: line.id, status: "approved", decision: { edits: { amount: 12 } } });
      const done = await settled;
      expect(done.status).toBe("succeeded");
      expect(done.nodes.approve.output).toMatchObject({ proposal: { amount: 12 } });
    } finally {
      await server.close();
      cleanup();
    }
  });
});
