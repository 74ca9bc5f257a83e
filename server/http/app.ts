/**
 * The express app: guards, the API under `/api` and the editor. Exported without listening,
 * so tests call it without a socket; server/start.ts is what listens.
 */
import express, { type Express } from "express";
import { requireToken } from "./auth.ts";
import type { RouteModule, ServerContext } from "./context.ts";
import { editorRoutes } from "./editor.ts";
import { errorHandler, notFound } from "./errors.ts";
import { hostAndOriginGuard } from "./guard.ts";
import { refuseDeepJson } from "./request.ts";
import { approvalRoutes } from "./routes/approvals.ts";
import { credentialRoutes } from "./routes/credentials.ts";
import { flowRoutes } from "./routes/flows.ts";
import { memoryRoutes } from "./routes/memory.ts";
import { hookRoutes } from "./routes/hooks.ts";
import { nodeTypeRoutes } from "./routes/node-types.ts";
import { runRoutes } from "./routes/runs.ts";

/** Every API route module; a new one is one import and one entry here. */
export const routeModules: RouteModule[] = [nodeTypeRoutes, flowRoutes, runRoutes, approvalRoutes, credentialRoutes, memoryRoutes];

/** Builds the app for one server context. */
export function createApp(ctx: ServerContext, options: { log?: (line: string) => void } = {}): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false); // API answers change with every event; the editor's assets keep their own
  app.set("query parser", "simple");
  app.use((_req, res, next) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
    next();
  });
  app.use(hostAndOriginGuard(ctx.allowedHosts));

  const api = express.Router();
  api.use(requireToken(ctx.token)); // before the body is read: strangers cannot make us parse it
  api.use((_req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    next();
  });
  api.use(express.json({ limit: ctx.config.maxBodyBytes, verify: refuseDeepJson }));
  for (const addRoutes of routeModules) addRoutes(api, ctx);
  api.use(notFound);
  app.use("/api", api);

  app.use("/hooks", hookRoutes(ctx)); // outside /api: each webhook has its own secret, not the token
  app.use(editorRoutes(ctx));
  app.use(notFound);
  app.use(errorHandler({ log: options.log }));
  return app;
}
