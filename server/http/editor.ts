/**
 * Serves the built editor (editor/dist): index.html with the access token injected as
 * `<meta name="keel-token">`, the hashed assets, and index.html for the editor's own paths.
 * Until the editor is built, a small page says so.
 */
import fs from "node:fs";
import path from "node:path";
import express, { type Request, type Response, type Router } from "express";
import type { ServerContext } from "./context.ts";

/** The page's Content-Security-Policy: only Keel's own scripts, and no framing. */
export const EDITOR_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Routes for the editor page and its assets (mounted after `/api`). */
export function editorRoutes(ctx: ServerContext): Router {
  const router = express.Router();
  const dist = ctx.config.editorDist;
  let cached: { mtimeMs: number; html: string } | undefined;

  const page = (_req: Request, res: Response) => {
    const file = path.join(dist, "index.html");
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(file);
    } catch {
      stat = undefined;
    }
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Content-Security-Policy", EDITOR_CSP);
    if (!stat) return res.status(200).type("html").send(placeholderPage(ctx.editorProblem ?? "The editor has not been built yet."));
    if (!cached || cached.mtimeMs !== stat.mtimeMs) cached = { mtimeMs: stat.mtimeMs, html: fs.readFileSync(file, "utf8") };
    res.status(200).type("html").send(injectToken(cached.html, ctx.token));
  };

  router.get(["/", "/index.html"], page);
  router.use(express.static(dist, { index: false, fallthrough: true, etag: true, immutable: false }));
  // The editor's own paths (/flows/x, /runs/y): the same page, its router takes over.
  router.get(/^\/(?!api(\/|$))[^.]*$/, (req, res, next) => (req.accepts("html") ? page(req, res) : next()));
  return router;
}

/** Puts `<meta name="keel-token" content="…">` at the end of the page's head. */
export function injectToken(html: string, token: string): string {
  const meta = `<meta name="keel-token" content="${escapeHtml(token)}">`;
  const close = html.search(/<\/head>/i);
  if (close >= 0) return `${html.slice(0, close)}  ${meta}\n  ${html.slice(close)}`;
  const open = /<head[^>]*>/i.exec(html);
  if (!open) return `${meta}\n${html}`;
  const end = open.index + open[0].length;
  return `${html.slice(0, end)}\n    ${meta}${html.slice(end)}`;
}

function placeholderPage(problem: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Keel</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .25em}</style>
</head><body>
<h1>Keel is running</h1>
<p>${escapeHtml(problem)}</p>
<p>The API is served under <code>/api</code> (see <code>docs/api.md</code>); runs can also be started with <code>npx keel run FLOW.json</code>.</p>
</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
