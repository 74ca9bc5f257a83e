/** code.js in real runs: output, console lines in the trace, errors in node.failed, literal code. */
import { afterAll, describe, expect, it } from "vitest";
import { makeFlow, testKeel } from "../support/keel.ts";

const keel = testKeel();
afterAll(() => keel.dispose());

const codeFlow = (code: string, extra: Record<string, unknown> = {}) =>
  makeFlow(
    [
      { id: "start", type: "transform", params: { set: { n: "{{ input.n }}" } } },
      { id: "code", type: "code.js", params: { code, ...extra } },
    ],
    [["start", "code"]],
    { id: "code-flow", name: "Code" },
  );

describe("code.js node", () => {
  it("returns the code's value as its output and puts console lines in the trace", async () => {
    const result = await keel.coordinator.run(codeFlow("console.log('n is', input.start.n);\nreturn { double: input.start.n * params.k }", { params: { k: "{{ input.n + 1 }}" } }), { n: 3 });
    expect(result.status).toBe("succeeded");
    expect(result.output).toEqual({ code: { double: 12 } });
    const logs = (await keel.coordinator.events(result.runId)).filter((e) => e.type === "node.log");
    expect(logs).toEqual([expect.objectContaining({ node: "code", message: "n is 3" })]);
  });

  it("leaves {{ }} in the code as text", async () => {
    const result = await keel.coordinator.run(codeFlow("return '{{ input.n }}'"), { n: 1 });
    expect(result.output).toEqual({ code: "{{ input.n }}" });
  });

  it("fails the node with the error, its line and column, recorded in the log", async () => {
    const result = await keel.coordinator.run(codeFlow("const a = input.start.n;\nreturn a.nope.deeper;"), { n: 1 });
    expect(result.status).toBe("failed");
    expect(result.nodes.code.error).toMatchObject({
      code: "SANDBOX",
      retryable: false,
      message: "the code threw TypeError: Cannot read properties of undefined (reading 'deeper') (at line 2, column 15 of the code)",
      details: { reason: "thrown", line: 2, column: 15 },
    });
    expect(result.nodes.code.attempts).toBe(1);
    const failed = (await keel.coordinator.events(result.runId)).find((e) => e.type === "node.failed");
    expect(failed).toMatchObject({ node: "code", error: { code: "SANDBOX" } });
  });

  it("refuses params out of range before running anything", async () => {
    const result = await keel.coordinator.run(codeFlow("return 1", { timeoutMs: 60_000 }), { n: 1 }).catch((e: Error) => e);
    expect(String((result as Error).message ?? JSON.stringify(result))).toMatch(/timeoutMs/);
  });
});
