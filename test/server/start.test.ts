import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { loadToken } from "../../server/http/auth.ts";
import { ensureEditorBuilt } from "../../server/http/editor-build.ts";
import { allowedHostsFor } from "../../server/http/guard.ts";
import { startServer } from "../../server/start.ts";
import { tempDir } from "../support/keel.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function temp(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe("the access token", () => {
  test("is created on first start with mode 0600 and reused after", () => {
    const dir = temp();
    const first = loadToken(dir, { env: {} });
    expect(first.source).toBe("created");
    expect(first.token.length).toBeGreaterThanOrEqual(32);
    expect(fs.statSync(path.join(dir, "token")).mode & 0o777).toBe(0o600);
    expect(loadToken(dir, { env: {} })).toEqual({ token: first.token, source: "file" });
  });

  test("a token file others can read is made private again", () => {
    const dir = temp();
    const { token } = loadToken(dir, { env: {} });
    fs.chmodSync(path.join(dir, "token"), 0o644);
    expect(loadToken(dir, { env: {} }).token).toBe(token);
    expect(fs.statSync(path.join(dir, "token")).mode & 0o777).toBe(0o600);
  });

  test("KEEL_TOKEN wins and writes nothing; a short one is refused", () => {
    const dir = temp();
    expect(loadToken(dir, { env: { KEEL_TOKEN: "from-the-environment-123" } })).toEqual({ token: "from-the-environment-123", source: "env" });
    expect(fs.existsSync(path.join(dir, "token"))).toBe(false);
    expect(() => loadToken(dir, { env: { KEEL_TOKEN: "short" } })).toThrow(/at least 16 characters/);
    expect(() => loadToken(dir, { env: { KEEL_TOKEN: "has spaces in it, which cannot be" } })).toThrow(/only letters, digits/);
  });
});

describe("allowed hosts", () => {
  test("loopback names of the port, plus configured names with and without the port", () => {
    const hosts = allowedHostsFor({ host: "127.0.0.1", port: 5757, names: ["Keel.Example"] });
    expect([...hosts].sort()).toEqual(["127.0.0.1:5757", "[::1]:5757", "keel.example", "keel.example:5757", "localhost:5757"]);
  });

  test("a server on every interface answers to the machine's addresses", () => {
    const hosts = allowedHostsFor({ host: "0.0.0.0", port: 80 });
    expect(hosts.has("127.0.0.1")).toBe(true);
    expect(hosts.has("127.0.0.1:80")).toBe(true);
    expect(hosts.has("evil.example")).toBe(false);
  });
});

describe("startServer", () => {
  test("serves, refuses a second server on the same data folder, and releases it on close", async () => {
    const dir = temp();
    const server = await startServer({ dataDir: dir, port: 0, log: () => {} });
    let closed = false;
    cleanups.push(() => (closed ? undefined : server.close()));
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.tokenSource).toBe("created");
    const res = await fetch(new URL("api/flows", server.url), { headers: { authorization: `Bearer ${server.token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ items: [] });
    // commands run beside the server find it through <data>/server.json
    expect(JSON.parse(fs.readFileSync(path.join(dir, "server.json"), "utf8"))).toEqual({ url: server.url, pid: process.pid });
    await expect(startServer({ dataDir: dir, port: 0, log: () => {} })).rejects.toThrow(/is in use by this process \(keel start\)/);
    await server.close();
    closed = true;
    expect(fs.existsSync(path.join(dir, "server.json"))).toBe(false);
    const again = await startServer({ dataDir: dir, port: 0, log: () => {} });
    expect(again.token).toBe(server.token);
    await again.close();
  });

  test("a port in use is a clear error, and the data folder is left free", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => blocker.close(r)));
    const port = (blocker.address() as net.AddressInfo).port;
    const dir = temp();
    await expect(startServer({ dataDir: dir, port, log: () => {} })).rejects.toThrow(`port ${port} on 127.0.0.1 is in use`);
    expect(fs.existsSync(path.join(dir, "owner.lock"))).toBe(false);
  });
});

describe("the editor build check", () => {
  test("no editor sources: nothing to build, and it says so", async () => {
    const root = temp();
    expect(await ensureEditorBuilt({ root })).toMatchObject({ state: "absent" });
  });

  test("a build newer than every source is left alone", async () => {
    const root = temp();
    fs.mkdirSync(path.join(root, "editor/src"), { recursive: true });
    fs.mkdirSync(path.join(root, "editor/dist"), { recursive: true });
    fs.writeFileSync(path.join(root, "editor/vite.config.ts"), "export default {}");
    fs.writeFileSync(path.join(root, "editor/src/main.tsx"), "");
    const old = new Date(Date.now() - 60_000);
    for (const f of ["editor/vite.config.ts", "editor/src/main.tsx"]) fs.utimesSync(path.join(root, f), old, old);
    fs.writeFileSync(path.join(root, "editor/dist/index.html"), "<html></html>");
    const lines: string[] = [];
    expect(await ensureEditorBuilt({ root, log: (l) => lines.push(l) })).toEqual({ state: "fresh" });
    expect(lines).toEqual([]);
  });
});
