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
    // a lock of this very process (left by an earlier start in it) is taken again
    const holder = holderOf(file, (pid) => pid !== process.pid && alive(pid));
    if (!holder) continue;
    const { owner } = holder;
    if (!owner) throw new KeelError("CONFLICT", `the data folder ${dataDir} is being taken by another process right now (${file}); try again`);
    throw new KeelError(
      "CONFLICT",
      `the data folder ${dataDir} is in use by process ${owner.pid} (keel ${owner.command}, since ${owner.since}); stop it or use another --data`,
    );
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
/** A lock file whose writer left no readable pid is taken over after this long (both kinds of lock). */
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
    const holder = holderOf(lock, alive);
    if (!holder) continue;
    if (Date.now() - began > LOCK_WAIT_MS) {
      throw new KeelError("CONFLICT", `${file} is being changed by process ${holder.owner?.pid ?? "unknown"} (lock ${lock}); try again`);
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause); // a synchronous sleep
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/**
 * Who holds a lock file that could not be created: its live owner, or `{}` for one being
 * written right now (created, its owner not yet in it). Undefined when it may be taken at once:
 * it was released meanwhile, or its holder is gone (its pid no longer runs, or it stayed
 * unwritten too long) and it was removed. Only the lock judged stale is removed, never one a
 * live process took in between.
 */
function holderOf(file: string, isLive: (pid: number) => boolean): { owner?: LockOwner } | undefined {
  const owner = readOwner(file);
  const age = ageMs(file);
  if (age === undefined) return undefined;
  if (owner ? isLive(owner.pid) : age <= UNREADABLE_LOCK_MS) return { owner };
  if (readOwner(file)?.pid === owner?.pid) fs.rmSync(file, { force: true });
  return undefined;
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
