import { z } from "zod";
import { defineNode } from "../runtime/node.ts";
import { sharedSandbox } from "../runtime/sandbox/index.ts";

const MAX_CODE_CHARS = 200_000;

const params = z
  .object({
    code: z
      .string()
      .min(1, "is empty: write the body of an async function that returns the output")
      .max(MAX_CODE_CHARS, `is over ${MAX_CODE_CHARS} characters`)
      .describe("the body of an async function (input, params, helpers) returning a JSON value; {{ }} here is plain text"),
    params: z
      .record(z.string(), z.unknown())
      .default({})
      .describe("values handed to the code as `params` ({{ }} expressions allowed)"),
    credentials: z
      .array(z.string().min(1))
      .max(20)
      .default([])
      .describe("credentials handed to the code as helpers.credentials[name] (the flow must be allowed to use them; their values are redacted everywhere)"),
    timeoutMs: z.number().int().min(1).max(30_000).default(1000).describe("wall-clock limit per call"),
    memoryMb: z.number().int().min(8).max(512).default(64).describe("heap limit of the isolate"),
  })
  .strict();

/**
 * Runs the user's JavaScript in an isolated-vm isolate: no require, process, file system,
 * network or timers; input copied in, the output copied out; console lines go to the trace.
 */
export const codeJs = defineNode({
  type: "code.js",
  version: 1,
  title: "Code (JavaScript)",
  category: "data",
  description:
    "Runs JavaScript in a sandbox: the code is the body of an async function receiving `input` (upstream outputs by node id), `params` and `helpers` (`log`, `credentials`), and returns a JSON value. No require, process, file system, network or timers.",
  kind: "code",
  params,
  literalParams: ["code"],
  async run(ctx) {
    const p = ctx.params;
    const credentials: Record<string, { kind: string; fields: Record<string, string> }> = {};
    for (const name of p.credentials) {
      const c = await ctx.credentials.get(name); // checks the flow's allowance and registers the secrets
      credentials[name] = { kind: c.kind, fields: { ...c.fields } };
    }
    return sharedSandbox().run({
      code: p.code,
      input: ctx.input,
      params: p.params,
      credentials,
      timeoutMs: p.timeoutMs,
      memoryMb: p.memoryMb,
      signal: ctx.signal,
      onLog: (line) => ctx.log(line),
    });
  },
});
