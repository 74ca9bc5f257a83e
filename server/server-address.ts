/**
 * Where a running server can be reached: `<data>/server.json` ({ url, pid }), written once it
 * listens and removed when it stops, so that commands run beside it (`keel approve`) send their
 * work to its API instead of touching the data folder it owns.
 */
import fs from "node:fs";
import path from "node:path";
import { folderOwner } from "../storage/lock.ts";

/** What `<data>/server.json` holds. */
export interface ServerAddress {
  url: string;
  pid: number;
}

function fileOf(dataDir: string): string {
  return path.join(dataDir, "server.json");
}

/** Records the address of the server this process runs. */
export function writeServerAddress(dataDir: string, url: string): void {
  const file = fileOf(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ url, pid: process.pid } satisfies ServerAddress), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Removes the address when it is this process's. */
export function removeServerAddress(dataDir: string): void {
  if (readAddress(dataDir)?.pid === process.pid) fs.rmSync(fileOf(dataDir), { force: true });
}

/**
 * The server that owns the data folder, when one does: its address, or `url: undefined` when the
 * owner is another kind of process (a `keel run`) or did not say where it listens.
 */
export function owningServer(dataDir: string): { pid: number; command: string; url?: string } | undefined {
  const owner = folderOwner(dataDir);
  if (!owner || owner.pid === process.pid) return undefined;
  const address = readAddress(dataDir);
  return { pid: owner.pid, command: owner.command, url: address && address.pid === owner.pid ? address.url : undefined };
}

function readAddress(dataDir: string): ServerAddress | undefined {
  try {
    const a = JSON.parse(fs.readFileSync(fileOf(dataDir), "utf8")) as ServerAddress;
    return typeof a.url === "string" && typeof a.pid === "number" ? a : undefined;
  } catch {
    return undefined;
  }
}
