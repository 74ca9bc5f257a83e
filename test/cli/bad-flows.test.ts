/**
 * Malformed flows and inputs through the real CLI: each exits 3 with a message on stderr that
 * names the problem, never a stack trace, and starts no run. The cases are listed, with the
 * message fragments they must print, in test/fixtures/bad-flows/index.json.
 */
import fs from "node:fs";
import path from "node:path";
import { readAllRuns } from "../../storage/eventlog/segment-reader.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../support/keel.ts";
import { hasStackTrace, keelCli, pool, type CliResult } from "./cli.ts";

interface BadCase {
  name: string;
  flow: string;
  expect: string[];
  input?: string;
  args?: string[];
  /** An input file made by the test: `bytes` of JSON, or arrays nested `depth` deep. */
  generatedInput?: { bytes?: number; depth?: number };
}

const fixtures = path.resolve(import.meta.dirname, "../fixtures/bad-flows");
const cases = JSON.parse(fs.readFileSync(path.join(fixtures, "index.json"), "utf8")) as BadCase[];

let tmp: ReturnType<typeof tempDir>;
const results = new Map<string, { result: CliResult; data: string }>();

function makeInput(name: string, spec: NonNullable<BadCase["generatedInput"]>): string {
  const file = path.join(tmp.dir, `${name}.input.json`);
  if (spec.depth) fs.writeFileSync(file, `{"a":${"[".repeat(spec.depth)}${"]".repeat(spec.depth)}}`);
  else {
    const filler = "x".repeat(1024 * 1024);
    const parts = Array.from({ length: Math.ceil(spec.bytes! / filler.length) }, (_, i) => `"k${i}":"${filler}"`);
    fs.writeFileSync(file, `{${parts.join(",")}}`);
  }
  return file;
}

beforeAll(async () => {
  tmp = tempDir("keel-bad-flows-");
  // spawning is slow on a shared 2-core machine: a small pool, all cases in one file
  await pool(
    cases.map((c) => async () => {
      const data = path.join(tmp.dir, c.name);
      const args = ["run", c.flow, "--data", data];
      if (c.input !== undefined) args.push("--input", c.input);
      if (c.generatedInput) args.push("--input-file", makeInput(c.name, c.generatedInput));
      if (c.args) args.push(...c.args);
      results.set(c.name, { result: await keelCli(args, { cwd: fixtures }), data });
    }),
    4,
  );
}, 300_000);

afterAll(() => tmp?.cleanup());

describe("malformed flows and inputs through `keel run`", () => {
  it("has at least 30 cases, and every fixture file belongs to one", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    const used = new Set(cases.map((c) => c.flow));
    const files = fs.readdirSync(fixtures).filter((f) => f.endsWith(".json") && f !== "index.json");
    expect(files.filter((f) => !used.has(f))).toEqual([]);
  });

  for (const c of cases) {
    it(`${c.name}: exit 3, names the problem, no stack trace`, () => {
      const { result, data } = results.get(c.name)!;
      expect(result.code, result.stderr).toBe(3);
      expect(result.stdout).toBe("");
      for (const fragment of c.expect) expect(result.stderr).toContain(fragment);
      expect(result.stderr.startsWith("keel: ")).toBe(true);
      expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
      // nothing was started: no run has a line in any segment
      expect(readAllRuns(path.join(data, "runs"))).toEqual([]);
    });
  }
});
