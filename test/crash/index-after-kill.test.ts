/**
 * The run index is written in batches (every 100 ms); a kill before the batch must not leave a
 * finished run missing from it, or listed as running, for good: a finished run leaves the
 * journal of open runs only once the index has it, so the next start puts it there.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openKeel } from "../../server/keel.ts";
import { tempDir } from "../support/keel.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

function finishThenDie(dataDir: string): Promise<{ first: string; firstStatus: string; second: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "test/crash/support/finish-then-die.ts"), dataDir], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (_code, signal) => {
      clearTimeout(timer);
      if (signal !== "SIGKILL" || !out.trim()) return reject(new Error(`the child did not die as planned (${signal}): ${err}`));
      resolve(JSON.parse(out.trim()));
    });
  });
}

describe("the run index after a kill", () => {
  it("lists a run that finished just before the kill as finished, once Keel starts again", async () => {
    const { dir, cleanup } = tempDir("keel-index-kill-");
    try {
      const died = await finishThenDie(dir);
      expect(died.firstStatus).toBe("succeeded");
      const keel = openKeel({ dataDir: dir });
      try {
        await keel.coordinator.resumeAll();
        await keel.index.flush();
        expect((await keel.index.get(died.first))?.status).toBe("succeeded");
        expect((await keel.index.get(died.second))?.status).toBe("succeeded");
        expect((await keel.index.list({ flowId: "doubler" })).items.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
      } finally {
        await keel.close();
      }
      // and nothing is left to resume
      const again = openKeel({ dataDir: dir });
      try {
        expect(await again.store.openRuns()).toEqual([]);
      } finally {
        await again.close();
      }
    } finally {
      cleanup();
    }
  }, 60_000);
});
