/**
 * End-to-end helpers: Debian's Chromium driven by playwright-core, the real editor build, pages
 * that record every console error (a test fails on any), and screenshots under test/artifacts/.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { ensureEditorBuilt, REPO_ROOT } from "../../server/http/editor-build.ts";

/** Debian's Chromium (never a downloaded one). */
export const CHROMIUM = "/usr/bin/chromium";
/** Flags for a quiet, headless, sandbox-less Chromium in CI containers. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
/** Where screenshots go (ignored by git). */
export const ARTIFACTS = path.join(REPO_ROOT, "test", "artifacts");

/** Launches headless Chromium. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * Builds editor/dist when it is missing or older than its sources. Test files run in parallel
 * workers: a lock folder makes one build at a time (the others wait, then find it fresh).
 */
export async function ensureEditor(): Promise<void> {
  const lock = path.join(os.tmpdir(), `keel-editor-build-${Buffer.from(REPO_ROOT).toString("hex").slice(-24)}.lock`);
  const deadline = Date.now() + 240_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 180_000) fs.rmSync(lock, { recursive: true, force: true }); // left by a killed run
      if (Date.now() > deadline) throw new Error(`waited too long for another editor build (${lock})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  // Vite builds React's development bundle when NODE_ENV says so, and test runners set it to
  // "test": the editor under test must be the production build users get.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    const result = await ensureEditorBuilt({ log: () => {} });
    if (result.problem) throw new Error(result.problem);
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** A page that records console errors and uncaught exceptions. */
export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Every console error and page error seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/** Opens a fresh context and page (1280x800 unless told). */
export async function openPage(browser: Browser, options: { width?: number; height?: number } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("dialog", (d) => {
    errors.push(`unexpected dialog: ${d.message()}`);
    void d.dismiss();
  });
  return { context, page, errors, close: () => context.close() };
}

/** Saves a screenshot as test/artifacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
