/** What every part of the HTTP server is handed: the open Keel, the settings and the token. */
import type { Router } from "express";
import type { Keel } from "../keel.ts";

/** Settings of one server, fixed when it starts. */
export interface ServerConfig {
  /** The address the server listens on, e.g. 127.0.0.1. */
  host: string;
  /** The port it listens on (the real one once listening, when 0 was asked). */
  port: number;
  /** Extra host names the server may be reached by (a reverse proxy's name...). */
  names: string[];
  /** Where the built editor is (index.html and assets). */
  editorDist: string;
  /** Largest accepted JSON request body, in bytes. */
  maxBodyBytes: number;
}

/** Shared by every route module: the open Keel, the settings and what guards the door. */
export interface ServerContext {
  keel: Keel;
  config: ServerConfig;
  /** The bearer token every API request and websocket must present. */
  token: string;
  /** Host header values accepted (`host:port`, lower case); filled once the server listens. */
  allowedHosts: Set<string>;
  /** Why the editor page is not available (no build yet, build failed), if it is not. */
  editorProblem?: string;
}

/**
 * A route module: one file under server/http/routes/, listed in app.ts. It adds its routes to
 * the API router, whose paths are relative to `/api` (`api.get("/flows", ...)` answers
 * `GET /api/flows`); every request reaching them is authenticated and its JSON body parsed.
 * (All modules share one router: a sub-router per module would cost each request a turn of
 * the event loop for every module it passes.)
 */
export type RouteModule = (api: Router, ctx: ServerContext) => void;
