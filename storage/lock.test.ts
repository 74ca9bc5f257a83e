import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lockDataFolder } from "./lock.ts";

describe("the data folder's owner lock", () => {
  let dir: string;
  const lockFile = () => path.join(dir, "owner.lock");
  const owner = (pid: number) => JSON.stringify({ pid, command: "start", since: "2026-11-24T20:00:00.000Z" });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "keel-lock-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("refuses a folder a live process holds, naming it", () => {
    const parent = process.ppid; // alive, and not this process
    fs.writeFileSync(lockFile(), owner(parent));
    expect(() => lockDataFolder(dir, "run")).toThrow(`in use by process ${parent} (keel start`);
    expect(fs.readFileSync(lockFile(), "utf8")).toBe(owner(parent));
  });

  it("takes over the lock of a process that is gone, and releases it", () => {
    const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid!;
    fs.writeFileSync(lockFile(), owner(dead));
    const lock = lockDataFolder(dir, "run");
    expect(JSON.parse(fs.readFileSync(lockFile(), "utf8")).pid).toBe(process.pid);
    lock.release();
    expect(fs.existsSync(lockFile())).toBe(false);
  });

  it("leaves alone a lock another process has just created and not yet written, and takes one left unwritten long ago", () => {
    fs.writeFileSync(lockFile(), ""); // created with O_EXCL, its owner not written yet
    expect(() => lockDataFolder(dir, "run")).toThrow("being taken by another process right now");
    expect(fs.readFileSync(lockFile(), "utf8")).toBe("");
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockFile(), old, old); // its process died before writing
    lockDataFolder(dir, "run").release();
    expect(fs.existsSync(lockFile())).toBe(false);
  });
});
