/** One real server over a temp data folder and one Chromium, for an end-to-end test file. */
import type { Browser } from "playwright-core";
import { startServer, type RunningServer } from "../../server/start.ts";
import { ensureEditor, launchBrowser } from "../support/browser.ts";
import { tempDir } from "../support/keel.ts";

/** What a test file drives: the server, the browser, and the API with the token. */
export interface Harness {
  server: RunningServer;
  browser: Browser;
  dataDir: string;
  /** Absolute URL of an editor path, e.g. url("flows/x"). */
  url(path?: string): string;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/** Builds the editor if needed, starts the server on 127.0.0.1 (free port) and launches Chromium. */
export async function startHarness(prefix: string): Promise<Harness> {
  await ensureEditor();
  const data = tempDir(prefix);
  const token = `e2e-${prefix}0123456789abcdef`;
  const server = await startServer({ dataDir: data.dir, port: 0, token, log: () => {} });
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (e) {
    await server.close();
    data.cleanup();
    throw e;
  }
  return {
    server,
    browser,
    dataDir: data.dir,
    url: (path = "") => new URL(path, server.url).href,
    async api<T>(method: string, path: string, body?: unknown) {
      const res = await fetch(new URL(`api/${path}`, server.url), {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    async close() {
      await browser.close();
      await server.close();
      data.cleanup();
    },
  };
}
