/**
 * Starts a Keel server: opens the data folder (taking its lock), loads the token, listens,
 * serves the API, the websocket and the editor, and resumes the runs a stop interrupted.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { CoordinatorOptions } from "../runtime/coordinator.ts";
import { KeelError } from "../runtime/errors.ts";
import { lockDataFolder } from "../storage/lock.ts";
import { createApp } from "./http/app.ts";
import { loadToken, type TokenSource } from "./http/auth.ts";
import type { ServerContext } from "./http/context.ts";
import { EDITOR_DIST, ensureEditorBuilt } from "./http/editor-build.ts";
import { allowedHostsFor } from "./http/guard.ts";
import { attachLive, type LiveOptions } from "./http/live.ts";
import { openKeel, type Keel } from "./keel.ts";
import { Scheduler } from "./scheduler.ts";
import { startHousekeeping, type Housekept } from "./housekeeping.ts";
import { removeServerAddress, writeServerAddress } from "./server-address.ts";

/** The default address and port. */
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 5757;

/** Data folders served by this process. */
const servedHere = new Set<string>();

/** Options for startServer. */
export interface StartOptions {
  dataDir: string;
  /** Default 5757; 0 picks a free port (read it back from `url`). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The access token; default KEEL_TOKEN, else `<data>/token` (created on first start). */
  token?: string;
  /** Extra Host names accepted besides the listening address. */
  names?: string[];
  /** Build editor/dist first when it is missing or stale (default false: serve what is there). */
  buildEditor?: boolean;
  /** Serve the editor from here instead of editor/dist. */
  editorDist?: string;
  /** Resume interrupted runs on start (default true). */
  resume?: boolean;
  /** Largest JSON request body in bytes (default 10 MB). */
  maxBodyBytes?: number;
  /** Progress and faults (default: stderr). */
  log?: (line: string) => void;
  live?: LiveOptions;
  /** Extra coordinator options (tests: concurrency, clocks). */
  coordinator?: Partial<CoordinatorOptions>;
}

/** A listening server. */
export interface RunningServer {
  /** e.g. http://127.0.0.1:5757/ */
  url: string;
  token: string;
  tokenSource: TokenSource;
  keel: Keel;
  ctx: ServerContext;
  server: http.Server;
  /** Runs found interrupted at start and being resumed. */
  resumed: number;
  /** Starts saved flows with a trigger.schedule (catch-up runs included). */
  scheduler: Scheduler;
  /** The upkeep round made at start (expired memories and cached model answers removed). */
  housekeeping: Promise<Housekept>;
  /** Stops listening, closes sockets and the data folder, releases its lock. */
  close(): Promise<void>;
}

/** Starts a server over a data folder; resolves once it listens. */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dataDir = path.resolve(options.dataDir);
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new KeelError("VALIDATION", `port must be a whole number from 0 to 65535, got ${port}`);

  // the folder lock lets its own process in again; two servers in one process must not share a folder
  if (servedHere.has(dataDir)) throw new KeelError("CONFLICT", `the data folder ${dataDir} is in use by this process (keel start); close that server first`);
  servedHere.add(dataDir);
  let keel: Keel;
  try {
    keel = openKeel({ dataDir, coordinator: { log, ...options.coordinator } });
  } catch (e) {
    servedHere.delete(dataDir);
    throw e;
  }
  let lock: ReturnType<typeof lockDataFolder> | undefined;
  let server: http.Server | undefined;
  let live: ReturnType<typeof attachLive> | undefined;
  let scheduler: Scheduler | undefined;
  let upkeep: ReturnType<typeof startHousekeeping> | undefined;
  const abandon = async () => {
    scheduler?.stop();
    await upkeep?.stop();
    await live?.close();
    server?.close();
    await keel.close();
    lock?.release();
    servedHere.delete(dataDir);
  };
  try {
    lock = lockDataFolder(dataDir, "start");
    const { token, source } = loadToken(dataDir, { token: options.token });
    let editorProblem: string | undefined;
    if (options.buildEditor) editorProblem = (await ensureEditorBuilt({ log })).problem;
    const ctx: ServerContext = {
      keel,
      config: {
        host,
        port,
        names: options.names ?? [],
        editorDist: options.editorDist ?? EDITOR_DIST,
        maxBodyBytes: options.maxBodyBytes ?? 10 * 1024 * 1024,
      },
      token,
      allowedHosts: new Set(),
      editorProblem,
    };
    // a failed request's stack can quote a secret a run was handed: redact before printing
    server = http.createServer(createApp(ctx, { log: (line) => log(keel.redactor.redactAny(line)) }));
    server.on("clientError", (_err, socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      else socket.destroy();
    });
    live = attachLive(server, ctx, options.live);
    await listen(server, port, host);
    const actual = (server.address() as AddressInfo).port;
    ctx.config.port = actual;
    for (const h of allowedHostsFor({ host, port: actual, names: ctx.config.names })) ctx.allowedHosts.add(h);

    const open = options.resume === false ? [] : await keel.store.openRuns();
    if (open.length) {
      log(`keel: resuming ${open.length} interrupted run${open.length === 1 ? "" : "s"}`);
      keel.coordinator
        .resumeAll("settled", { onUnreadable: (runId, e) => log(`keel: run ${runId} cannot be resumed: ${e.message}`) })
        .catch((e) => log(`keel: resuming runs failed: ${(e as Error)?.stack ?? String(e)}`));
    }

    // approvals a crash left behind (decided in the store or ended in the run, not both) take the run's outcome
    keel.approvals.reconcile().catch((e) => log(`keel: reconciling approvals failed: ${(e as Error)?.message ?? String(e)}`));
    upkeep = startHousekeeping(keel, log);
    scheduler = new Scheduler({ keel, log });
    const caughtUp = await scheduler.start();
    if (caughtUp.length) log(`keel: started ${caughtUp.length} run${caughtUp.length === 1 ? "" : "s"} for schedules missed while stopped`);

    const url = `http://${urlHost(host)}:${actual}/`;
    writeServerAddress(dataDir, url); // commands run beside the server (keel approve) call it here
    let closing: Promise<void> | undefined;
    const running: RunningServer = {
      url,
      token,
      tokenSource: source,
      keel,
      ctx,
      server,
      resumed: open.length,
      scheduler,
      housekeeping: upkeep.first,
      close: () => (closing ??= (async () => {
        scheduler!.stop();
        await upkeep!.stop();
        await live!.close();
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server!.closeAllConnections();
        await closed;
        await keel.close();
        removeServerAddress(dataDir);
        lock!.release();
        servedHere.delete(dataDir);
      })()),
    };
    return running;
  } catch (e) {
    await abandon().catch(() => {});
    throw e;
  }
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (e.code === "EADDRINUSE") reject(new KeelError("CONFLICT", `port ${port} on ${host} is in use; stop what uses it or pass --port`));
      else if (e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND") reject(new KeelError("VALIDATION", `cannot listen on ${host}: no such local address`));
      else if (e.code === "EACCES") reject(new KeelError("FORBIDDEN", `not allowed to listen on ${host}:${port} (ports under 1024 need privileges)`));
      else reject(e);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

/** The host part of the printed URL: a wildcard address is shown as the loopback one. */
function urlHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "[::1]";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
