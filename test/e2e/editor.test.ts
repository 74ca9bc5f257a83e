/**
 * The editor end to end: real Chromium, the real built editor, the real server over a temp data
 * folder. Every test fails on any console error in the page.
 */
import fs from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { FlowInput } from "../../runtime/schema/flow.ts";
import { openPage, screenshot, type WatchedPage } from "../support/browser.ts";
import { makeFlow } from "../support/keel.ts";
import { card, clickCanvas, connect, dropNode, field, node, nodeIds } from "./canvas.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
let watched: WatchedPage;
let page: Page;

const api = <T,>(method: string, url: string, body?: unknown) => h.api<T>(method, url, body);

async function openFlow(id: string): Promise<void> {
  await page.goto(h.url(`flows/${id}`));
  await page.locator(".react-flow__node").first().waitFor();
}

beforeAll(async () => {
  h = await startHarness("keel-e2e-editor-");
}, 240_000);

afterAll(async () => {
  await h?.close();
});

beforeEach(async () => {
  watched = await openPage(h.browser);
  page = watched.page;
});

afterEach(async () => {
  const errors = [...watched.errors];
  await watched.close();
  expect(errors, "console errors in the page").toEqual([]);
});

describe("the editor", { timeout: 90_000 }, () => {
  test("a 4-node flow built by drag and drop only is saved, survives a reload, and runs with every node succeeding live", async () => {
    await page.goto(h.url());
    await page.getByLabel("New flow name").fill("Greeting");
    await page.getByRole("button", { name: "New flow" }).click();
    await page.locator(".react-flow__pane").waitFor();
    await screenshot(page, "editor-1-empty-canvas");

    // palette → canvas
    await dropNode(page, "trigger.manual", { x: 140, y: 140 });
    await dropNode(page, "transform", { x: 420, y: 140 });
    await dropNode(page, "logic.branch", { x: 140, y: 360 });
    await dropNode(page, "action.file", { x: 440, y: 390 });
    expect(await nodeIds(page)).toEqual(["trigger", "transform", "branch", "file"]);

    // handle → handle; the branch leaves by its "true" port
    await connect(page, "trigger", "transform");
    await connect(page, "transform", "branch");
    await connect(page, "branch", "file", "true");
    await expect.poll(() => page.locator(".react-flow__edge").count()).toBe(3);

    // parameters in the inspector
    await node(page, "transform").click();
    await page.getByRole("button", { name: "+ Add entry" }).click();
    await page.getByLabel("Key 1").fill("greeting");
    await page.locator('.sidebar [data-field="params.set"] .record-value input').fill("Hello {{ input.name }}");
    await node(page, "branch").click();
    await field(page, "params.condition").fill("{{ $length(nodes.transform.output.greeting) > 0 }}");
    await node(page, "file").click();
    await field(page, "params.path").fill("greeting.txt");
    await field(page, "params.content").fill("{{ nodes.transform.output.greeting }}");
    await page.getByTestId("issue-state").filter({ hasText: "Valid" }).waitFor();
    await screenshot(page, "editor-2-built");

    await page.keyboard.press("Control+s");
    await page.getByTestId("save-state").filter({ hasText: "All changes saved" }).waitFor();
    const saved = await api<{ flow: FlowInput }>("GET", "flows/greeting");
    expect(saved.status).toBe(200);
    expect((saved.body.flow.edges ?? []).map((e) => [e.from, e.to, e.when])).toEqual([
      ["trigger", "transform", undefined],
      ["transform", "branch", undefined],
      ["branch", "file", "true"],
    ]);

    // reload: the same flow comes back
    await page.reload();
    await node(page, "file").waitFor();
    expect(await nodeIds(page)).toEqual(["trigger", "transform", "branch", "file"]);
    expect(await page.locator(".react-flow__edge").count()).toBe(3);
    expect(await page.getByLabel("Flow name").inputValue()).toBe("Greeting");
    await node(page, "transform").click();
    expect(await page.getByLabel("Key 1").inputValue()).toBe("greeting");
    await node(page, "file").click();
    expect(await field(page, "params.path").inputValue()).toBe("greeting.txt");
    expect(await page.getByTestId("save-state").textContent()).toBe("All changes saved");

    // run: every node turns "succeeded" on the canvas as the events arrive
    await page.getByRole("tab", { name: "Run" }).click();
    await page.locator("#run-input").fill('{ "name": "Ada" }');
    await page.locator(".run-panel").getByRole("button", { name: "▶ Run" }).click();
    for (const id of ["trigger", "transform", "branch", "file"]) {
      await page.locator(`.react-flow__node[data-id="${id}"] .kn[data-status="succeeded"]`).waitFor({ timeout: 15_000 });
    }
    await page.locator('.run-status[data-run-status="succeeded"]').waitFor();
    expect(await page.locator(".react-flow__edge.edge-done").count()).toBe(3);
    // the selected node's output, and what the run wrote
    await node(page, "file").click();
    expect(await page.getByTestId("node-output").textContent()).toContain('"path": "greeting.txt"');
    expect(JSON.parse((await page.getByTestId("node-input").textContent())!)).toEqual({ branch: { result: true } });
    expect(fs.readFileSync(path.join(h.dataDir, "outbox", "greeting.txt"), "utf8")).toBe("Hello Ada");
    await screenshot(page, "editor-3-run-succeeded");

    // the link to the run opens its page
    await page.locator(".run-link").click();
    await page.locator('[data-run-status="succeeded"]').first().waitFor();
    expect(await page.locator(".run-nodes tbody tr").count()).toBe(4);
  });

  test("undo and redo an edit made in the inspector", async () => {
    await api("PUT", "flows/undo", makeFlow([{ id: "greet", type: "transform", params: { set: { text: "hi" } } }], [], { id: "undo", name: "Undo" }));
    await openFlow("undo");
    await node(page, "greet").click();
    const label = () => field(page, "name");
    await label().fill("Say hello");
    await clickCanvas(page);
    await node(page, "greet").locator(".kn-title").filter({ hasText: "Say hello" }).waitFor();
    expect(await page.getByTestId("save-state").textContent()).toBe("Unsaved changes");

    await page.keyboard.press("Control+z");
    await node(page, "greet").locator(".kn-title").filter({ hasText: "Transform" }).waitFor();
    expect(await page.getByTestId("save-state").textContent()).toBe("All changes saved");

    await page.keyboard.press("Control+Shift+z");
    await node(page, "greet").locator(".kn-title").filter({ hasText: "Say hello" }).waitFor();
    await node(page, "greet").click();
    expect(await label().inputValue()).toBe("Say hello");
    await screenshot(page, "editor-4-redone");

    // the shortcut panel lists these keys
    await page.keyboard.press("?");
    const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await help.waitFor();
    expect(await help.textContent()).toContain("Undo");
    await page.keyboard.press("Escape");
    await help.waitFor({ state: "detached" });

    // deleting a node is one step too
    await node(page, "greet").click();
    await page.keyboard.press("Delete");
    await expect.poll(() => page.locator(".react-flow__node").count()).toBe(0);
    await page.keyboard.press("Control+z");
    await node(page, "greet").waitFor();
  });

  test("two nodes copied as flow JSON paste into the same flow and into another one", async () => {
    const source = makeFlow(
      [
        { id: "start", type: "trigger.manual", position: { x: 0, y: 0 } },
        { id: "shape", type: "transform", position: { x: 300, y: 0 }, params: { set: { n: "{{ input.n }}" } } },
        { id: "double", type: "transform", position: { x: 600, y: 0 }, params: { set: { n: "{{ nodes.shape.output.n * 2 }}" } } },
      ],
      [
        ["start", "shape"],
        ["shape", "double"],
      ],
      { id: "copy-from", name: "Copy from" },
    );
    await api("PUT", "flows/copy-from", source);
    await api("PUT", "flows/paste-to", makeFlow([{ id: "only", type: "trigger.manual" }], [], { id: "paste-to", name: "Paste to" }));
    await openFlow("copy-from");

    await node(page, "shape").click();
    await node(page, "double").click({ modifiers: ["Shift"] });
    expect(await page.locator(".react-flow__node.selected").count()).toBe(2);
    await page.keyboard.press("Control+c");
    await page.keyboard.press("Control+v");
    await expect.poll(() => nodeIds(page)).toEqual(["start", "shape", "double", "shape_2", "double_2"]);
    // the pasted pair keeps its edge and its reference follows the new id
    await expect.poll(() => page.locator(".react-flow__edge").count()).toBe(3);
    await clickCanvas(page);
    await node(page, "double_2").click();
    expect(await page.locator('.sidebar [data-field="params.set"] .record-value input').inputValue()).toBe("{{ nodes.shape_2.output.n * 2 }}");
    await screenshot(page, "editor-5-pasted");
    await page.keyboard.press("Control+s");
    await page.getByTestId("save-state").filter({ hasText: "All changes saved" }).waitFor();

    // another flow: the clipboard still holds the two nodes
    await page.getByRole("link", { name: "Flows", exact: true }).click();
    await page.getByRole("link", { name: "Paste to" }).click();
    await node(page, "only").waitFor();
    await clickCanvas(page);
    await page.keyboard.press("Control+v");
    await expect.poll(() => nodeIds(page)).toEqual(["only", "shape", "double"]);
    expect(await page.locator(".react-flow__edge").count()).toBe(1);
    await page.keyboard.press("Control+s");
    await page.getByTestId("save-state").filter({ hasText: "All changes saved" }).waitFor();
    const saved = await api<{ flow: FlowInput }>("GET", "flows/paste-to");
    expect(saved.body.flow.nodes.map((n) => n.id)).toEqual(["only", "shape", "double"]);
    expect((saved.body.flow.edges ?? []).map((e) => [e.from, e.to])).toEqual([["shape", "double"]]);
  });

  test("a validation error from the server shows on the node and on its field", async () => {
    await api("PUT", "flows/checked", makeFlow([{ id: "start", type: "trigger.manual" }], [], { id: "checked", name: "Checked" }));
    await openFlow("checked");
    await dropNode(page, "action.http", { x: 200, y: 320 });
    await node(page, "http").waitFor();
    await field(page, "params.url").fill("not a url");

    await card(page, "http").and(page.locator('[data-problems="1"]')).waitFor();
    const onNode = await node(page, "http").locator(".kn-problems").textContent();
    expect(onNode).toMatch(/http:\/\/ or https:\/\//);
    const onField = page.locator('.sidebar [data-field="params.url"] .field-errors');
    expect(await onField.textContent()).toBe(onNode);
    expect(await field(page, "params.url").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByTestId("issue-state").textContent()).toBe("1 problem");
    await screenshot(page, "editor-6-validation-error");

    // saving is refused by the server with the same message, and nothing is stored
    await page.keyboard.press("Control+s");
    await page.locator(".toast-error").filter({ hasText: "Not saved" }).waitFor();
    const stored = await api<{ flow: FlowInput }>("GET", "flows/checked");
    expect(stored.body.flow.nodes.map((n) => n.id)).toEqual(["start"]);

    // fixing the field clears the problem everywhere
    await field(page, "params.url").fill("https://example.com/hook");
    await card(page, "http").and(page.locator('[data-problems="0"]')).waitFor();
    expect(await page.getByTestId("issue-state").textContent()).toBe("Valid");
  });

  test("the flows list opens, duplicates and deletes flows, and shows a renamed flow's new name", async () => {
    await api("PUT", "flows/list-me", makeFlow([{ id: "start", type: "trigger.manual" }], [], { id: "list-me", name: "List me" }));
    await page.goto(h.url());
    const row = (id: string) => page.locator(`.flows-table tr[data-flow-id="${id}"]`);
    await row("list-me").waitFor();

    await page.getByRole("button", { name: "Duplicate List me" }).click();
    await row("list-me-copy").filter({ hasText: "List me (copy)" }).waitFor();
    expect((await api("GET", "flows/list-me-copy")).status).toBe(200);

    await page.getByRole("button", { name: "Delete List me (copy)" }).click();
    await row("list-me-copy").getByRole("button", { name: "Delete", exact: true }).click();
    await row("list-me-copy").waitFor({ state: "detached" });
    expect((await api("GET", "flows/list-me-copy")).status).toBe(404);

    await row("list-me").getByRole("link", { name: "List me" }).click();
    await node(page, "start").waitFor();
    await page.getByLabel("Flow name").fill("Listed");
    await page.getByTestId("save-state").filter({ hasText: "Unsaved changes" }).waitFor();
    await page.keyboard.press("Control+s");
    await page.getByTestId("save-state").filter({ hasText: "All changes saved" }).waitFor();
    await page.getByRole("link", { name: "Flows", exact: true }).click();
    await row("list-me").filter({ hasText: "Listed" }).waitFor();
    await screenshot(page, "editor-7-flows-list");
  });
});
