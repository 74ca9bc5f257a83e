import { createHash } from "node:crypto";
import { z } from "zod";
import { defineNode } from "../runtime/node.ts";

/** Writes a file into the outbox, atomically and at most once per idempotency key. */
export const actionFile = defineNode({
  type: "action.file",
  version: 1,
  title: "Write file",
  category: "action",
  description: "Writes text (or JSON) to a file under <data>/outbox/, atomically. A repeat with the same idempotency key does not write again; compensation removes the file. Paths that leave the outbox are refused.",
  kind: "action",
  params: z
    .object({
      path: z.string().min(1, "is required"),
      content: z.unknown().describe("text, or any JSON value (written as JSON)"),
    })
    .strict(),
  async run(ctx) {
    const receipt = receiptPath(ctx.idempotencyKey);
    if (await ctx.outbox.exists(receipt)) {
      return JSON.parse(Buffer.from(await ctx.outbox.read(receipt)).toString("utf8")) as { path: string; bytes: number };
    }
    const c = ctx.params.content;
    const text = typeof c === "string" ? c : JSON.stringify(c, null, 2);
    const written = await ctx.outbox.write(ctx.params.path, text);
    await ctx.outbox.write(receipt, JSON.stringify(written));
    return written;
  },
  async compensate(ctx, output) {
    await ctx.outbox.remove(output.path);
  },
});

function receiptPath(key: string): string {
  return `.receipts/${createHash("sha256").update(key).digest("hex").slice(0, 32)}.json`;
}
