import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { tempDir } from "../support/keel.ts";
import { inject } from "./support/inject.ts";
import { apiContext, TEST_HOST, TEST_TOKEN, type TestApi } from "./support/api.ts";

let api: TestApi;
let dist: ReturnType<typeof tempDir>;
beforeEach(() => {
  dist = tempDir("keel-dist-");
  api = apiContext({ editorDist: dist.dir });
});
afterEach(async () => {
  await api.dispose();
  dist.cleanup();
});

const RUN = "r-20260101-000000-0123456789";

/** Every route of the API as registered in the app (every module's), with sample params. */
function apiRoutes(app: unknown): Array<[string, string]> {
  const stack = (app as { router: { stack: Array<{ handle?: { stack?: unknown[] } }> } }).router.stack;
  const api = stack.find((l) => (l.handle?.stack?.length ?? 0) > 0)!.handle!.stack as Array<{ route?: { path: string; methods: Record<string, boolean> } }>;
  const out: Array<[string, string]> = [];
  for (const layer of api) {
    if (!layer.route) continue;
    const path = layer.route.path.replace(/:id\b/g, layer.route.path.startsWith("/runs") ? RUN : "x").replace(/:\w+/g, "x");
    for (const method of Object.keys(layer.route.methods)) out.push([method.toUpperCase(), `/api${path}`]);
  }
  return [...out, ["GET", "/api/no-such-route"]];
}

describe("auth", () => {
  test("every API route refuses a request without a token (401)", async () => {
    const routes = apiRoutes(api.app);
    expect(routes.length).toBeGreaterThanOrEqual(12);
    for (const [method, url] of routes) {
      const body = method === "GET" || method === "DELETE" ? undefined : {};
      const res = await inject(api.app, { method, url, body, headers: { host: TEST_HOST } });
      expect.soft(res.status, `${method} ${url}`).toBe(401);
      expect.soft(res.json?.error?.code, `${method} ${url}`).toBe("UNAUTHORIZED");
      expect.soft(res.headers["www-authenticate"], `${method} ${url}`).toContain("Bearer");
    }
  });

  test("every API route refuses a wrong token (401)", async () => {
    for (const [method, url] of apiRoutes(api.app)) {
      const body = method === "GET" || method === "DELETE" ? undefined : {};
      const res = await api.call(method, url, body, { authorization: `Bearer ${TEST_TOKEN}x` });
      expect.soft(res.status, `${method} ${url}`).toBe(401);
      expect.soft(res.json?.error?.message, `${method} ${url}`).toBe("the token is not valid");
    }
  });

  test("other ways of sending a token are not accepted", async () => {
    for (const authorization of [TEST_TOKEN, `Basic ${TEST_TOKEN}`, `Bearer`, `Bearer ${TEST_TOKEN} extra`]) {
      expect((await api.call("GET", "/api/flows", undefined, { authorization })).status).toBe(401);
    }
    const inUrl = await api.call("GET", `/api/flows?token=${TEST_TOKEN}`, undefined, { authorization: undefined });
    expect(inUrl.status).toBe(401);
  });

  test("the right token is accepted", async () => {
    expect((await api.call("GET", "/api/flows")).status).toBe(200);
    expect((await api.call("GET", "/api/flows", undefined, { authorization: `bearer ${TEST_TOKEN}` })).status).toBe(200);
  });
});

describe("Host and Origin", () => {
  test.each(["evil.example:5757", "127.0.0.1:5758", "127.0.0.1", "attacker.test"])("Host %s is refused with 403", async (host) => {
    const res = await api.call("GET", "/api/flows", undefined, { host });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe("FORBIDDEN");
  });

  test("the editor page is refused to a foreign Host too (it carries the token)", async () => {
    const res = await inject(api.app, { url: "/", headers: { host: "rebound.example:5757" } });
    expect(res.status).toBe(403);
    expect(res.text).not.toContain(TEST_TOKEN);
  });

  test("a request without a Host header is refused", async () => {
    expect((await api.call("GET", "/api/flows", undefined, { host: undefined })).status).toBe(403);
  });

  test("loopback names of the listening port are accepted", async () => {
    for (const host of ["127.0.0.1:5757", "localhost:5757", "LOCALHOST:5757", "[::1]:5757"]) {
      expect((await api.call("GET", "/api/flows", undefined, { host })).status).toBe(200);
    }
  });

  test.each(["http://evil.example", "http://127.0.0.1:9999", "null", "file://", "https://127.0.0.1.evil.example:5757"])(
    "Origin %s is refused with 403 and no CORS headers",
    async (origin) => {
      const res = await api.call("GET", "/api/flows", undefined, { origin });
      expect(res.status).toBe(403);
      expect(Object.keys(res.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
    },
  );

  test("Keel's own origin is accepted", async () => {
    expect((await api.call("GET", "/api/flows", undefined, { origin: "http://127.0.0.1:5757" })).status).toBe(200);
    expect((await api.call("POST", "/api/flows/validate", {}, { origin: "http://localhost:5757" })).status).toBe(200);
  });

  test("a preflight from another origin gets no CORS permission", async () => {
    const res = await inject(api.app, {
      method: "OPTIONS",
      url: "/api/flows",
      headers: { host: TEST_HOST, origin: "http://evil.example", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(403);
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("the editor page", () => {
  test("until the editor is built, / explains so", async () => {
    const res = await inject(api.app, { url: "/", headers: { host: TEST_HOST } });
    expect(res.status).toBe(200);
    expect(res.text).toContain("Keel is running");
  });

  test("index.html is served with the token in a meta tag, and assets as they are", async () => {
    fs.writeFileSync(path.join(dist.dir, "index.html"), '<!doctype html><html><head><title>Keel</title></head><body><div id="root"></div></body></html>');
    fs.mkdirSync(path.join(dist.dir, "assets"));
    fs.writeFileSync(path.join(dist.dir, "assets", "app.js"), "console.log('keel')");
    const page = await inject(api.app, { url: "/", headers: { host: TEST_HOST } });
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<meta name="keel-token" content="${TEST_TOKEN}">`);
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(page.headers["cache-control"]).toBe("no-store");
    const asset = await inject(api.app, { url: "/assets/app.js", headers: { host: TEST_HOST } });
    expect(asset.status).toBe(200);
    expect(asset.text).toBe("console.log('keel')");
    // the editor's own paths get the page; unknown files do not
    const deep = await inject(api.app, { url: "/flows/hello", headers: { host: TEST_HOST, accept: "text/html" } });
    expect(deep.text).toContain("keel-token");
    const missing = await inject(api.app, { url: "/assets/nope.js", headers: { host: TEST_HOST } });
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("NOT_FOUND");
  });

  test("unknown API routes are a JSON 404", async () => {
    const res = await api.call("GET", "/api/nothing/here?x=1");
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ error: { code: "NOT_FOUND", message: "no route GET /api/nothing/here" } });
  });

  test("responses carry protective headers", async () => {
    const res = await api.call("GET", "/api/flows");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["x-frame-options"]).toBe("DENY");
    expect(res.headers["x-powered-by"]).toBeUndefined();
  });
});
