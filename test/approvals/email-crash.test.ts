/**
 * The server is killed (SIGKILL) after an approval, while the mail is being sent (the SMTP
 * server has the message but has not answered): after resume, the mail is sent again with the
 * same Message-ID, so the recipient sees exactly one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openVault } from "../../storage/vault/index.ts";
import { REPO_ROOT, runKeel } from "../crash/harness.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { tempDir } from "../support/keel.ts";
import { emailFlow } from "./flows.ts";

/** Starts `keel start --port 0` and reads its address and token from stdout. */
async function startChild(dataDir: string): Promise<{ child: ChildProcess; url: string; token: string }> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "keel.js"), "start", "--port", "0", "--no-build", "--data", dataDir], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`keel start did not come up: ${err}`));
    }, 40_000);
    child.stdout!.on("data", (d) => {
      out += d;
      const url = /running at (\S+)/.exec(out)?.[1];
      const token = /Access token: (\S+)/.exec(out)?.[1];
      if (url && token) {
        clearTimeout(timer);
        resolve({ child, url, token });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`keel start exited (${code}): ${err}`));
    });
  });
}

describe("approved mail across a kill -9", () => {
  let sink: SmtpSink;
  let child: ChildProcess | undefined;
  let cleanup: () => void = () => {};
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await sink?.close();
    cleanup();
  });

  it("exactly one mail (by Message-ID) after the server is killed mid-send and the run resumed", async () => {
    sink = await startSmtpSink();
    const t = tempDir();
    cleanup = t.cleanup;
    const dataDir = path.join(t.dir, "data");
    fs.mkdirSync(dataDir);
    openVault(dataDir).add({ name: "smtp-test", kind: "smtp", fields: { host: "127.0.0.1", port: String(sink.port) }, allowedFlows: "*" });

    const server = await startChild(dataDir);
    child = server.child;
    const call = async (method: string, rel: string, body?: unknown) => {
      const res = await fetch(new URL(rel, server.url), {
        method,
        headers: { authorization: `Bearer ${server.token}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, json: (await res.json()) as Record<string, any> };
    };
    expect((await call("POST", "api/flows", emailFlow())).status).toBe(201);
    const started = await call("POST", "api/flows/email-proposal/runs", { input: { client: "Acme", email: "buyer@acme.test", amount: 5000, confidence: 0.2 } });
    expect(started.status).toBe(202);
    let pending: Array<{ id: string; run: string }> = [];
    for (let i = 0; i < 200 && pending.length === 0; i++) {
      pending = (await call("GET", "api/approvals")).json.items;
      if (!pending.length) await new Promise((r) => setTimeout(r, 50));
    }
    expect(pending).toHaveLength(1);
    expect(pending[0].run).toBe(started.json.runId);

    sink.hold(true); // the mail arrives, the answer does not
    const decided = await call("POST", `api/approvals/${pending[0].id}`, { decision: "approve" });
    expect(decided.status).toBe(200);
    await sink.waitFor(1);
    child.kill("SIGKILL");
    await new Promise((r) => child!.once("exit", r));
    sink.hold(false);
    expect(sink.received).toHaveLength(1);

    const resumed = await runKeel(["resume", "--data", dataDir, "-q"]);
    expect(resumed.code).toBe(0);
    const result = JSON.parse(resumed.stdout.trim().split("\n")[0]);
    expect(result).toMatchObject({ runId: started.json.runId, status: "succeeded", nodes: { send: { status: "succeeded", attempts: 2 } } });
    expect(sink.received).toHaveLength(2); // sent again after the kill...
    expect(sink.received[1].messageId).toBe(sink.received[0].messageId); // ...recognisably the same mail
    expect(sink.unique()).toHaveLength(1);
    expect(sink.unique()[0]).toMatchObject({ subject: "Proposal for Acme", to: ["buyer@acme.test"] });
  });
});
