/**
 * The leak scan: credentials are added through the real CLI (values on stdin), a flow run by the
 * CLI uses them in request headers against a real local server, in an error message, in
 * console.log of a code node and in outputs; then every file under the data folder (and beside
 * it) and everything the CLI printed is searched for the secret values and their encodings.
 * They must be nowhere: the only copy is the vault file's ciphertext.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openVault, vaultFileOf } from "../../storage/vault/index.ts";
import { makeFlow, tempDir } from "../support/keel.ts";

const root = path.resolve(import.meta.dirname, "../..");
const TOKEN = "sk-live-7d1e9b42c0f3a8e5";
const PASSWORD = "pw-5c2b8e91f04d";
const basicValue = Buffer.from(`ops:${PASSWORD}`).toString("base64");
const needles = [TOKEN, PASSWORD, basicValue, Buffer.from(TOKEN).toString("base64"), Buffer.from(`Bearer ${TOKEN}`).toString("base64")];

interface Printed {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `keel …` as a user would, with `stdin` piped in. */
function keel(args: string[], stdin = ""): Promise<Printed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--no-node-snapshot", path.join(root, "bin", "keel.js"), ...args], {
      cwd: root,
      env: { ...process.env, KEEL_MASTER_KEY: "", KEEL_KEY_FILE: "", KEEL_DEBUG: "" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

let tmp: { dir: string; cleanup: () => void };
let server: http.Server;
const seenAuth: string[] = [];

beforeAll(async () => {
  tmp = tempDir("keel-leak-");
  server = http.createServer((req, res) => {
    const auth = req.headers.authorization ?? "";
    seenAuth.push(auth);
    if (req.url === "/deny") {
      res.writeHead(401, { "content-type": "text/plain" });
      res.end(`denied for ${auth}`);
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ auth }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  tmp.cleanup();
});

describe("no secret in plain text anywhere", () => {
  it("after a CLI run that used secrets in headers, an error message, console.log and outputs", async () => {
    const data = path.join(tmp.dir, "data");
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const flow = makeFlow(
      [
        { id: "start", type: "trigger.manual" },
        { id: "call", type: "action.http", params: { url: `${base}/echo`, method: "GET", credential: "api" } },
        { id: "basic", type: "action.http", params: { url: `${base}/echo`, method: "GET", credential: "login" } },
        {
          id: "code",
          type: "code.js",
          params: {
            credentials: ["api"],
            code: "const t = helpers.credentials.api.fields.value;\nconsole.log('using', t, 'bare', t.split(' ')[1]);\nhelpers.log(`echoed ${input.call.body.auth}`);\nreturn { token: t, echoed: input.call.body.auth };",
          },
        },
        { id: "deny", type: "action.http", params: { url: `${base}/deny`, method: "GET", credential: "api" }, onError: "continue" },
        { id: "boom", type: "code.js", params: { credentials: ["api"], code: "throw new Error('boom with ' + helpers.credentials.api.fields.value)" } },
      ],
      [
        ["start", "call"],
        ["start", "basic"],
        ["call", "code"],
        ["code", "deny"],
        ["deny", "boom"],
      ],
      { id: "leaky", name: "Leaky" },
    );
    const flowFile = path.join(tmp.dir, "leaky.keel.json");
    fs.writeFileSync(flowFile, JSON.stringify(flow));

    const printed: Printed[] = [];
    const add1 = await keel(["credentials", "add", "api", "--kind", "http-header", "--field", "name=Authorization", "--allow", "leaky", "--data", data], `Bearer ${TOKEN}\n`);
    const add2 = await keel(["credentials", "add", "login", "--kind", "basic", "--field", "username=ops", "--allow", "leaky", "--data", data], PASSWORD);
    printed.push(add1, add2);
    expect(add1.code).toBe(0);
    expect(add2.code).toBe(0);
    const run = await keel(["run", flowFile, "--data", data]);
    printed.push(run);
    const runId = JSON.parse(run.stdout).runId as string;
    const show = await keel(["show", runId, "--events", "--data", data]);
    printed.push(show, await keel(["runs", "--data", data]), await keel(["credentials", "list", "--data", data]));

    // the secrets were really used: the server saw them
    expect(seenAuth).toContain(`Bearer ${TOKEN}`);
    expect(seenAuth).toContain(`Basic ${basicValue}`);

    // and the run shows where they were, redacted
    const result = JSON.parse(run.stdout);
    expect(run.code).toBe(1);
    expect(result.nodes.call.output.body).toEqual({ auth: "[secret:api]" });
    expect(result.nodes.basic.output.body).toEqual({ auth: "Basic [secret:login]" });
    expect(result.nodes.code.output).toEqual({ token: "[secret:api]", echoed: "[secret:api]" });
    expect(result.nodes.deny.error.message).toMatch(/answered 401 Unauthorized: denied for \[secret:api\]/);
    expect(result.nodes.boom.error.message).toMatch(/the code threw Error: boom with \[secret:api\] \(at line 1/);
    const events = show.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(events.filter((e) => e.type === "node.log").map((e) => e.message)).toEqual(["using [secret:api] bare [secret:api]", "echoed [secret:api]"]);
    expect(events.some((e) => e.type === "node.trace" && e.kind === "credential.used" && e.data.name === "api")).toBe(true);

    // nothing the CLI printed holds a secret
    for (const p of printed) {
      for (const needle of needles) {
        expect(p.stdout).not.toContain(needle);
        expect(p.stderr).not.toContain(needle);
      }
    }
    // no file under (or beside) the data folder holds one; the vault file holds only ciphertext
    const files = filesUnder(tmp.dir);
    expect(files).toContain(vaultFileOf(data));
    expect(files.some((f) => f.includes(`${path.sep}runs${path.sep}`))).toBe(true);
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      for (const needle of needles) {
        if (bytes.includes(needle)) throw new Error(`${path.relative(tmp.dir, file)} holds a secret in plain text`);
      }
    }
    // and the vault still gives the values back to an allowed flow
    expect(openVault(data, {}).getFor("api", "leaky").fields.value).toBe(`Bearer ${TOKEN}`);
  }, 180_000);
});
