/**
 * Two processes change the vault at once (`keel credentials add` beside a running server):
 * every change lands, none is written over by the other's read-modify-write.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openVault } from "../../storage/vault/index.ts";
import { tempDir } from "../support/keel.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

function addMany(dataDir: string, prefix: string, count: number, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "test/vault/support/add-many.ts"), dataDir, prefix, String(count)], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`add-many ${prefix} exited ${code}: ${stderr}`));
    });
  });
}

describe("the vault changed by two processes at once", () => {
  it("keeps every credential both added", async () => {
    const { dir, cleanup } = tempDir("keel-vault-procs-");
    try {
      const env = { ...process.env, KEEL_MASTER_KEY: "a-master-key-for-this-test-0123456789" };
      const dataDir = path.join(dir, "data");
      await Promise.all([addMany(dataDir, "left", 40, env), addMany(dataDir, "right", 40, env)]);
      const names = openVault(dataDir, env).list().map((c) => c.name);
      expect(names).toHaveLength(80);
      expect(openVault(dataDir, env).verify()).toBe(80);
    } finally {
      cleanup();
    }
  }, 90_000);

  it("takes over the lock of a process that was killed while holding it", async () => {
    const { dir, cleanup } = tempDir("keel-vault-stale-");
    try {
      const env = { ...process.env, KEEL_MASTER_KEY: "a-master-key-for-this-test-0123456789" };
      const dataDir = path.join(dir, "data");
      const vault = openVault(dataDir, env);
      vault.add({ name: "first", kind: "api-key", fields: { apiKey: "key-one" }, allowedFlows: "*" });
      const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid; // a pid that no longer runs
      fs.writeFileSync(`${vault.file}.lock`, JSON.stringify({ pid: dead, command: "lock", since: new Date().toISOString() }));
      vault.add({ name: "second", kind: "api-key", fields: { apiKey: "key-two" }, allowedFlows: "*" });
      expect(vault.list().map((c) => c.name)).toEqual(["first", "second"]);
      expect(fs.existsSync(`${vault.file}.lock`)).toBe(false);
    } finally {
      cleanup();
    }
  });
});
