/**
 * Two editors on one flow (DESIGN 9): what one tab does shows up in the other without a reload,
 * each tab's undo undoes only its own edits, and a save in one marks the flow saved in both.
 * Real Chromium, two browser contexts, the real server; any console error fails the test.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openPage, screenshot, type WatchedPage } from "../support/browser.ts";
import { makeFlow } from "../support/keel.ts";
import { clickCanvas, dropNode, field, node, nodeIds } from "./canvas.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness("keel-e2e-coedit-");
}, 240_000);
afterAll(async () => {
  await h?.close();
});

describe("two editors on one flow", { timeout: 90_000 }, () => {
  test("see each other's edits live, undo only their own, and share a save", async () => {
    await h.api("PUT", "flows/shared", makeFlow(
      [
        { id: "trigger", type: "trigger.manual", position: { x: 80, y: 120 } },
        { id: "greet", type: "transform", position: { x: 380, y: 120 }, params: { set: { text: "hi" } } },
      ],
      [["trigger", "greet"]],
      { id: "shared", name: "Shared" },
    ));
    const tabs: WatchedPage[] = [await openPage(h.browser), await openPage(h.browser)];
    try {
      const [a, b] = tabs.map((t) => t.page);
      for (const p of [a, b]) {
        await p.goto(h.url("flows/shared"));
        await node(p, "greet").waitFor();
      }

      // a adds a node: b's canvas shows it
      await dropNode(a, "transform", { x: 380, y: 380 });
      await expect.poll(() => nodeIds(b)).toContain("transform");
      expect(await b.getByTestId("save-state").textContent()).toBe("Unsaved changes");

      // b renames a node: a's canvas shows the new title
      await node(b, "greet").click();
      await field(b, "name").fill("Say hello");
      await clickCanvas(b);
      await node(a, "greet").locator(".kn-title").filter({ hasText: "Say hello" }).waitFor();
      await screenshot(a, "coedit-1-both-edits");

      // b's undo takes back b's rename, not a's node
      await b.keyboard.press("Control+z");
      await node(b, "greet").locator(".kn-title").filter({ hasText: "Transform" }).waitFor();
      await node(a, "greet").locator(".kn-title").filter({ hasText: "Transform" }).waitFor();
      expect(await nodeIds(b)).toContain("transform");

      // a saves: the saved flow has a's node, and both tabs say so
      await a.keyboard.press("Control+s");
      for (const p of [a, b]) await p.getByTestId("save-state").filter({ hasText: "All changes saved" }).waitFor();
      const saved = await h.api<{ flow: { nodes: Array<{ id: string }> } }>("GET", "flows/shared");
      expect(saved.body.flow.nodes.map((n) => n.id).sort()).toEqual(["greet", "transform", "trigger"]);

      // a third tab opened now starts from the same document
      const c = await openPage(h.browser);
      tabs.push(c);
      await c.page.goto(h.url("flows/shared"));
      await node(c.page, "transform").waitFor();
      expect((await nodeIds(c.page)).sort()).toEqual(["greet", "transform", "trigger"]);
    } finally {
      const errors = tabs.flatMap((t) => t.errors);
      for (const t of tabs) await t.close();
      expect(errors, "console errors in the pages").toEqual([]);
    }
  });
});
