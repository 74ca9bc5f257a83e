/**
 * One process at a time executes runs from a data folder; two would run the same node twice.
 * The owner writes its pid to `<data>/owner.lock`; a lock whose process is gone (kill -9) is
 * taken over.
 */
import fs from "node:fs";
import path from "node:path";
import { KeelError } from "../runtime/errors.ts";

/** A held lock; release it when the process is done with the folder. */
export interface FolderLock {
  release(): void;
}

/** What is written in the lock file. */
export interface LockOwner {
  pid: number;
  command: string;
  since: string;
}

/** Takes the data folder for this process, or fails naming the process that has it. */
export function lockDataFolder(dataDir: string, command: string): FolderLock {
  const file = path.join(dataDir, "owner.lock");
  const me: LockOwner = { pid: process.pid, command, since: new Date().toISOString() };
  for (let i = 0; i < 3; i++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: "wx", mode: 0o600 });
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          if (readOwner(file)?.pid === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const owner = readOwner(file);
    if (owner && owner.pid !== process.pid && alive(owner.pid)) {
      throw new KeelError(
        "CONFLICT",
        `the data folder ${dataDir} is in use by process ${owner.pid} (keel ${owner.command}, since ${owner.since}); stop it or use another --data`,
      );
    }
    const age = ageMs(file);
    if (age === undefined) continue; // released meanwhile
    if (!owner && age < UNREADABLE_LOCK_MS) {
      throw new KeelError("CONFLICT", `the data folder ${dataDir} is being taken by another process right now (${file}); try again`);
    }
    if (readOwner(file)?.pid === owner?.pid) fs.rmSync(file, { force: true }); // its owner is gone
  }
  throw new KeelError("CONFLICT", `could not take the lock on ${dataDir}`);
}

/** The process holding the data folder, if one is alive. */
export function folderOwner(dataDir: string): LockOwner | undefined {
  const owner = readOwner(path.join(dataDir, "owner.lock"));
  return owner && alive(owner.pid) ? owner : undefined;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

/** True while a process with this pid runs (one we may not signal counts as running). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** How long `withFileLock` waits for another process before it gives up. */
const LOCK_WAIT_MS = 10_000;
/** A lock file whose writer left no readable pid is taken over after this long. */
const UNREADABLE_LOCK_MS = 10_000;

/**
 * Runs `fn` holding `<file>.lock` (created with O_EXCL), so that read-modify-write changes
 * of one file by several processes cannot write over each other. Another holder is waited
 * for; a lock whose process is gone (kill -9) is taken over. For short, synchronous work.
 */
export function withFileLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`;
  const me: LockOwner = { pid: process.pid, command: "lock", since: new Date().toISOString() };
  const began = Date.now();
  for (let pause = 1; ; pause = Math.min(pause * 2, 20)) {
    try {
      fs.writeFileSync(lock, JSON.stringify(me), { flag: "wx", mode: 0o600 });
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") {
        fs.mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
        continue;
      }
      if (code !== "EEXIST") throw e;
    }
    const owner = readOwner(lock);
    const age = ageMs(lock);
    if (age === undefined) continue; // released meanwhile: try again at once (never remove what another just took)
    if (owner ? !alive(owner.pid) : age > UNREADABLE_LOCK_MS) {
      // only the lock judged stale is removed, not one a live process took in between
      if (readOwner(lock)?.pid === owner?.pid) fs.rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() - began > LOCK_WAIT_MS) {
      throw new KeelError("CONFLICT", `${file} is being changed by process ${owner?.pid ?? "unknown"} (lock ${lock}); try again`);
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause); // a synchronous sleep
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** How old a file is, or undefined when there is none (any more). */
function ageMs(file: string): number | undefined {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}
