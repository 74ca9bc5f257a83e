/** An API over a temp data folder, called in memory: a known token, Host and a JSON helper. */
import type { Express } from "express";
import { createApp } from "../../../server/http/app.ts";
import type { ServerContext } from "../../../server/http/context.ts";
import { allowedHostsFor } from "../../../server/http/guard.ts";
import type { KeelOptions } from "../../../server/keel.ts";
import { testKeel } from "../../support/keel.ts";
import { inject, type InjectResponse } from "./inject.ts";

export const TEST_TOKEN = "test-token-0123456789abcdef";
export const TEST_HOST = "127.0.0.1:5757";

/** A test API: `call` sends an authenticated request; `dispose` closes and removes everything. */
export interface TestApi {
  app: Express;
  ctx: ServerContext;
  keel: ServerContext["keel"];
  call(method: string, url: string, body?: unknown, headers?: Record<string, string | undefined>): Promise<InjectResponse>;
  dispose(): Promise<void>;
}

/** Builds a context and app over a fresh temp data folder (no socket, no lock). */
export function apiContext(options: { keel?: Partial<KeelOptions>; editorDist?: string; log?: (line: string) => void } = {}): TestApi {
  const keel = testKeel(options.keel);
  const ctx: ServerContext = {
    keel,
    config: { host: "127.0.0.1", port: 5757, names: [], editorDist: options.editorDist ?? "/nonexistent-editor-dist", maxBodyBytes: 1024 * 1024 },
    token: TEST_TOKEN,
    allowedHosts: allowedHostsFor({ host: "127.0.0.1", port: 5757 }),
  };
  const app = createApp(ctx, { log: options.log ?? (() => {}) });
  return {
    app,
    ctx,
    keel,
    call: (method, url, body, headers) =>
      inject(app, { method, url, body, headers: { host: TEST_HOST, authorization: `Bearer ${TEST_TOKEN}`, ...headers } }),
    dispose: () => keel.dispose(),
  };
}
