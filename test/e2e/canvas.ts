/** What a user does on the editor's canvas, as Playwright steps (drag, connect, select, fill). */
import type { Locator, Page } from "playwright-core";

/** A node on the canvas by its id. */
export function node(page: Page, id: string): Locator {
  return page.locator(`.react-flow__node[data-id="${id}"]`);
}

/** The card inside a node (carries data-status and data-problems). */
export function card(page: Page, id: string): Locator {
  return node(page, id).locator(".kn");
}

/** Drags a node type from the palette onto the canvas at a point of the pane. */
export async function dropNode(page: Page, type: string, at: { x: number; y: number }): Promise<void> {
  await page.locator(`.palette [data-node-type="${type}"]`).dragTo(page.locator(".react-flow__pane"), { targetPosition: at });
}

/** Drags from a node's output handle (or the named port's) to another node's input handle. */
export async function connect(page: Page, from: string, to: string, port?: string): Promise<void> {
  const source = node(page, from).locator(port ? `.react-flow__handle.source[data-handleid="${port}"]` : ".react-flow__handle.source");
  const target = node(page, to).locator(".react-flow__handle.target");
  const s = await source.boundingBox();
  const t = await target.boundingBox();
  if (!s || !t) throw new Error(`cannot see the handles of ${from} → ${to}`);
  await page.mouse.move(s.x + s.width / 2, s.y + s.height / 2);
  await page.mouse.down();
  await page.mouse.move(t.x + t.width / 2, t.y + t.height / 2, { steps: 10 });
  await page.mouse.up();
}

/** The input (or textarea / select) of an inspector field, e.g. "params.url". */
export function field(page: Page, path: string): Locator {
  return page.locator(`.sidebar [data-field="${path}"]`).locator("input, textarea, select").first();
}

/** Clicks an empty spot of the canvas (clears the selection). */
export async function clickCanvas(page: Page): Promise<void> {
  await page.locator(".react-flow__pane").click({ position: { x: 12, y: 12 } });
}

/** Ids of the nodes on the canvas, in document order. */
export function nodeIds(page: Page): Promise<string[]> {
  return page.locator(".react-flow__node").evaluateAll((els) => els.map((e) => e.getAttribute("data-id") ?? ""));
}
