/**
 * Builds the editor with Vite when editor/dist is missing or older than its sources, so
 * `npm start` works on a fresh checkout with no separate build step.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (where editor/ lives). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Where the built editor is served from. */
export const EDITOR_DIST = path.join(REPO_ROOT, "editor", "dist");

/** What ensureEditorBuilt found or did. */
export interface EditorBuild {
  /** "fresh": the build is up to date; "built": built now; "absent": no editor sources; "failed". */
  state: "fresh" | "built" | "absent" | "failed";
  /** Why the editor cannot be served, when it cannot. */
  problem?: string;
}

/** Builds editor/dist when it is missing or stale; prints progress through `log`. */
export async function ensureEditorBuilt(options: { root?: string; log?: (line: string) => void; force?: boolean } = {}): Promise<EditorBuild> {
  const root = options.root ?? REPO_ROOT;
  const log = options.log ?? (() => {});
  const editorDir = path.join(root, "editor");
  const configFile = path.join(editorDir, "vite.config.ts");
  const srcDir = path.join(editorDir, "src");
  const index = path.join(editorDir, "dist", "index.html");
  if (!fs.existsSync(configFile) || !fs.existsSync(srcDir)) {
    return { state: "absent", problem: "The editor is not part of this checkout yet (no editor/src or editor/vite.config.ts)." };
  }
  const builtAt = mtimeOf(index);
  const sourcesAt = Math.max(newestMtime(srcDir), mtimeOf(configFile) ?? 0, mtimeOf(path.join(editorDir, "index.html")) ?? 0);
  if (!options.force && builtAt !== undefined && builtAt >= sourcesAt) return { state: "fresh" };
  log(builtAt === undefined ? "keel: building the editor (first start, this takes a little while)…" : "keel: the editor's sources changed; rebuilding it…");
  const t0 = performance.now();
  // Vite lets NODE_ENV win over `mode`: under NODE_ENV=test or development it would bundle
  // React's development build, about three times slower in the browser.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    const { build } = await import("vite");
    await build({ configFile, logLevel: "warn", mode: "production" });
  } catch (e) {
    const message = (e as Error)?.message ?? String(e);
    log(`keel: the editor build failed: ${message}`);
    return { state: "failed", problem: `The editor could not be built: ${message.split("\n")[0]}` };
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  if (mtimeOf(index) === undefined) {
    return { state: "failed", problem: `The editor build finished but wrote no ${path.relative(root, index)}.` };
  }
  log(`keel: editor built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { state: "built" };
}

function mtimeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, mtimeOf(path.join(entry.parentPath, entry.name)) ?? 0);
  }
  return newest;
}
