import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAtomic } from "./durable-json-file.ts";

let root: string | undefined;
afterEach(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe("writeAtomic", () => {
  it("lets writes of the same file at once all succeed, leaving one whole version and no temp files", async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "keel-atomic-"));
    const file = path.join(root, "same.txt");
    const versions = Array.from({ length: 8 }, (_, i) => `${String(i).repeat(200_000)}\n`);
    await Promise.all(versions.map((v) => writeAtomic(file, v)));
    expect(versions).toContain(fs.readFileSync(file, "utf8"));
    expect(fs.readdirSync(root)).toEqual(["same.txt"]);
  });
});
