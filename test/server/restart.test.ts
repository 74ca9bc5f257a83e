/**
 * A run survives the server being killed: `keel start` runs as a child process, a run waits on
 * a timer, the server is SIGKILLed, started again, and the run finishes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { makeFlow, tempDir } from "../support/keel.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const data = tempDir();
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  data.cleanup();
});

/** Starts `keel start` on a free port; resolves with its URL once it listens. */
async function startKeel(): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null>; out: () => string }> {
  const child = spawn(process.execPath, [path.join(ROOT, "bin/keel.js"), "start", "--port", "0", "--data", data.dir, "--no-build"], {
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
  return { child, url, exited, out: () => out };
}

test("a run waiting on a timer finishes after the server is SIGKILLed and started again", async () => {
  const first = await startKeel();
  const token = fs.readFileSync(path.join(data.dir, "token"), "utf8").trim();
  expect(first.out()).toContain(`Access token: ${token}`);
  expect(fs.statSync(path.join(data.dir, "token")).mode & 0o777).toBe(0o600);
  const call = async (url: string, method: string, p: string, body?: unknown) => {
    const res = await fetch(new URL(`api/${p}`, url), {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  const flow = makeFlow(
    [
      { id: "start", type: "trigger.manual" },
      { id: "nap", type: "wait.timer", params: { ms: 3000 } },
      { id: "after", type: "transform", params: { set: { woke: "{{ nodes.nap.output.waitedMs }}" } } },
    ],
    [
      ["start", "nap"],
      ["nap", "after"],
    ],
    { id: "nap", name: "Nap" },
  );
  expect((await call(first.url, "POST", "flows", flow)).status).toBe(201);
  const { runId } = (await call(first.url, "POST", "flows/nap/runs", {})).json;
  for (let i = 0; (await call(first.url, "GET", `runs/${runId}`)).json.run.status !== "waiting"; i++) {
    if (i > 100) throw new Error("the run never started waiting");
    await new Promise((r) => setTimeout(r, 50));
  }

  first.child.kill("SIGKILL");
  await first.exited;
  expect(fs.existsSync(path.join(data.dir, "owner.lock"))).toBe(true); // left behind by the dead process

  const restartedAt = Date.now();
  const second = await startKeel();
  let run: any;
  for (let i = 0; i < 150; i++) {
    run = (await call(second.url, "GET", `runs/${runId}`)).json.run;
    if (run.status !== "waiting" && run.status !== "running") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(run.status).toBe("succeeded");
  expect(run.output).toEqual({ after: { woke: 3000 } });
  expect(run.nodes.nap.status).toBe("succeeded");
  // the timer fired in the second server, not before the kill
  const { events } = (await call(second.url, "GET", `runs/${runId}`)).json;
  expect(events.find((e: { type: string }) => e.type === "node.woken").ts).toBeGreaterThanOrEqual(restartedAt);

  // SIGTERM stops it cleanly: exit code 0 and the data folder's lock released
  second.child.kill("SIGTERM");
  expect(await second.exited).toBe(0);
  expect(fs.existsSync(path.join(data.dir, "owner.lock"))).toBe(false);
}, 120_000);
