/** `keel start` as a child process, for tests that kill the server and start it again. */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** A running `keel start` child. */
export interface KeelProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  out(): string;
  /** Calls the API with the data folder's token. */
  call(method: string, apiPath: string, body?: unknown): Promise<{ status: number; json: any }>;
}

/** Starts `keel start` on a free port over `dataDir`; resolves once it listens. Add the child to `children` to stop it in cleanup. */
export async function startKeelProcess(dataDir: string, children: ChildProcess[]): Promise<KeelProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, "bin/keel.js"), "start", "--port", "0", "--data", dataDir, "--no-build"], {
    cwd: ROOT,
    env: { ...process.env, KEEL_TOKEN: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`keel start did not come up in 60 s; stderr: ${err}`)), 60_000);
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /Keel is running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then((code) => reject(new Error(`keel start exited (${code}); stderr: ${err}`)));
  });
  const token = fs.readFileSync(path.join(dataDir, "token"), "utf8").trim();
  const call = async (method: string, apiPath: string, body?: unknown) => {
    const res = await fetch(new URL(`api/${apiPath}`, url), {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  return { child, url, exited, out: () => out, call };
}

/** Stops every child still running (test cleanup). */
export function killAll(children: ChildProcess[]): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}
