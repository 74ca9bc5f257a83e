import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RunSummary } from "../../runtime/stores.ts";
import { FileRunIndex, SHARD_MAX } from "./run-index.ts";

let root: string | undefined;
afterEach(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function dir(): string {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "keel-index-"));
  return path.join(root, "runs");
}

const summary = (id: string, extra: Partial<RunSummary> = {}): RunSummary => ({
  id,
  flowId: "f",
  flowName: "F",
  status: "succeeded",
  startedAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  ...extra,
});
const id = (hour: string, n: number) => `r-20260101-${hour}0000-${n.toString(16).padStart(10, "0")}`;

describe("the run index", () => {
  it("lists runs newest first, filtered, and survives a reopen", async () => {
    const d = dir();
    const index = new FileRunIndex(d);
    index.put(summary(id("01", 1)));
    index.put(summary(id("02", 2), { status: "failed", flowId: "g" }));
    index.put(summary(id("02", 3)));
    await index.flush();
    const again = new FileRunIndex(d);
    expect((await again.list()).items.map((r) => r.id)).toEqual([id("02", 3), id("02", 2), id("01", 1)]);
    expect((await again.list({ status: "failed" })).items.map((r) => r.id)).toEqual([id("02", 2)]);
    expect((await again.list({ flowId: "f", limit: 1 })).items.map((r) => r.id)).toEqual([id("02", 3)]);
    expect(await again.get(id("01", 1))).toMatchObject({ flowId: "f" });
    expect(await again.get("nonsense")).toBeUndefined();
  });

  it("starts a new file for an hour every SHARD_MAX runs", async () => {
    const d = dir();
    const index = new FileRunIndex(d);
    for (let i = 0; i < SHARD_MAX + 3; i++) index.put(summary(id("05", i)));
    await index.flush();
    expect(fs.readdirSync(d).filter((n) => n.endsWith(".json")).sort()).toEqual(["20260101-05.0.json", "20260101-05.1.json"]);
    expect((await new FileRunIndex(d).list({ limit: 1000 })).items).toHaveLength(SHARD_MAX + 3);
  });

  it("flush waits for a write an earlier flush already started", async () => {
    const d = dir();
    const index = new FileRunIndex(d);
    index.put(summary(id("03", 1)));
    void index.flush(); // as the delayed write does
    await index.flush(); // as close() does
    const file = path.join(d, "20260101-03.0.json");
    expect(fs.existsSync(file)).toBe(true);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).runs[id("03", 1)]).toMatchObject({ status: "succeeded" });
  });
});
