/** The `keel` commands a user types, end to end: run, show, runs, validate. */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../runtime/result.ts";
import { makeFlow, tempDir } from "../support/keel.ts";
import { hasStackTrace, keelCli } from "./cli.ts";

const template = path.resolve(import.meta.dirname, "../../templates/hello.keel.json");
let tmp: ReturnType<typeof tempDir>;
let data: string;
beforeAll(() => {
  tmp = tempDir("keel-cli-");
  data = path.join(tmp.dir, "data");
});
afterAll(() => tmp.cleanup());

describe("keel run / show / runs / validate", () => {
  let first: RunResult;

  it("run: progress with timings on stderr, the result as JSON on stdout, exit 0", async () => {
    const r = await keelCli(["run", template, "--input", '{"client":"Acme","amount":5000}', "--data", data]);
    expect(r.code, r.stderr).toBe(0);
    first = JSON.parse(r.stdout) as RunResult;
    expect(first.status).toBe("succeeded");
    expect(Object.keys(first.output)).toEqual(["save"]);
    expect(first.nodes.regular.status).toBe("skipped");
    expect(fs.readFileSync(path.join(data, "outbox", "notes", "Acme.txt"), "utf8")).toContain("Hello, Acme!");
    expect(r.stderr).toMatch(new RegExp(`▶ run ${first.runId} \\(hello\\) started`));
    expect(r.stderr).toMatch(/… greet started/);
    expect(r.stderr).toMatch(/✓ greet done in \d/);
    expect(r.stderr).toMatch(/- regular skipped/);
    expect(r.stderr).toMatch(new RegExp(`■ run ${first.runId} succeeded in`));
  });

  it("run: a failing node gives exit 1, the failure on stderr and in the JSON", async () => {
    const flowFile = path.join(tmp.dir, "fails.json");
    fs.writeFileSync(flowFile, JSON.stringify(makeFlow([{ id: "boom", type: "transform", params: { set: { x: "{{ $error('no luck') }}" } } }], [], { id: "fails" })));
    const r = await keelCli(["run", flowFile, "--data", data]);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(result.status).toBe("failed");
    expect(result.nodes.boom.error?.message).toContain("no luck");
    expect(r.stderr).toMatch(/✗ boom failed after .*no luck/);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it("show and runs: read back what happened", async () => {
    const show = await keelCli(["show", first.runId, "--data", data]);
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toEqual(first);
    const runs = await keelCli(["runs", "--data", data, "--flow", "hello"]);
    expect(runs.code, runs.stderr).toBe(0);
    const listed = runs.stdout.trim().split("\n").map((l) => JSON.parse(l) as { id: string; status: string; flowId: string });
    expect(listed).toEqual([expect.objectContaining({ id: first.runId, status: "succeeded", flowId: "hello" })]);
    const unknown = await keelCli(["show", "r-20260101-000000-0000000000", "--data", data]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no run r-20260101-000000-0000000000");
    expect(hasStackTrace(unknown.stderr)).toBe(false);
  });

  it("validate: a valid flow says so; an invalid one exits 3 naming every problem", async () => {
    const ok = await keelCli(["validate", template]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain("valid (7 nodes)");
    const bad = await keelCli(["validate", path.resolve(import.meta.dirname, "../fixtures/bad-flows/wrong-types-everywhere.json")]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("nodes[0] type: Invalid input: expected string, received boolean");
    expect(bad.stderr).toContain("onFailure");
  });
});
