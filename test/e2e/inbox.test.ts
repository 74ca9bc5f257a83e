/**
 * The approvals inbox end to end: a run waits on human.approve; the operator decides in the
 * Inbox with one key, and the run carries on (seen live in the editor in another tab).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { Approval } from "../../runtime/approvals/types.ts";
import type { RunResult } from "../../runtime/result.ts";
import type { FlowInput } from "../../runtime/schema/flow.ts";
import { openPage, screenshot, type WatchedPage } from "../support/browser.ts";
import { makeFlow } from "../support/keel.ts";
import { node } from "./canvas.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
const pages: WatchedPage[] = [];

async function open(): Promise<WatchedPage> {
  const w = await openPage(h.browser);
  pages.push(w);
  return w;
}

/** trigger → human.approve → transform (on "approved"): the transform reads the approved proposal. */
function refundFlow(id: string): FlowInput {
  return makeFlow(
    [
      { id: "start", type: "trigger.manual", position: { x: 0, y: 0 } },
      {
        id: "ask",
        type: "human.approve",
        position: { x: 320, y: 0 },
        params: {
          title: "Refund {{ input.customer }} {{ input.amount }} EUR?",
          proposal: { to: "{{ input.email }}", subject: "Your refund", text: "Hello {{ input.customer }}, we refunded {{ input.amount }} EUR." },
          evidence: [
            { label: "Order", text: "Order 1042 arrived broken on 20 November.", source: "https://shop.example.com/orders/1042" },
            { label: "Refund policy", text: "Refunds up to 100 EUR need no return.", source: "memory:sop-refunds" },
          ],
          confidence: 0.62,
          autoApproveAbove: 0.9,
        },
      },
      { id: "send", type: "transform", position: { x: 640, y: 0 }, params: { set: { subject: "{{ nodes.ask.output.proposal.subject }}" } } },
    ],
    [
      ["start", "ask"],
      ["ask", "send", "approved"],
    ],
    { id, name: "Refunds" },
  );
}

async function pending(): Promise<Approval[]> {
  for (let i = 0; i < 100; i++) {
    const { body } = await h.api<{ items: Approval[] }>("GET", "approvals?status=pending");
    if (body.items.length) return body.items;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("no approval appeared");
}

beforeAll(async () => {
  h = await startHarness("keel-e2e-inbox-");
}, 240_000);

afterAll(async () => {
  await h?.close();
});

afterEach(async () => {
  const errors = pages.flatMap((w) => w.errors);
  for (const w of pages.splice(0)) await w.close();
  expect(errors, "console errors in the pages").toEqual([]);
});

describe("the inbox", { timeout: 90_000 }, () => {
  test("a pending approval shows its proposal and evidence, the A key approves it, and the run's nodes turn green", async () => {
    await h.api("PUT", "flows/refunds", refundFlow("refunds"));

    // tab 1: the editor runs the flow and shows it waiting
    const editor = (await open()).page;
    await editor.goto(h.url("flows/refunds"));
    await node(editor, "ask").waitFor();
    await editor.getByRole("tab", { name: "Run" }).click();
    await editor.locator("#run-input").fill('{ "customer": "Ada", "amount": 42, "email": "ada@example.com" }');
    await editor.locator(".run-panel").getByRole("button", { name: "▶ Run" }).click();
    await editor.locator('.react-flow__node[data-id="ask"] .kn[data-status="waiting"]').waitFor({ timeout: 15_000 });
    expect(await editor.locator('.react-flow__node[data-id="send"] .kn').getAttribute("data-status")).toBe("queued");

    // tab 2: the inbox
    const inbox = (await open()).page;
    await inbox.goto(h.url("inbox"));
    const detail = inbox.locator(".approval");
    await detail.waitFor();
    expect(await detail.locator("h1").textContent()).toBe("Refund Ada 42 EUR?");
    expect(await detail.locator(".proposal-field").allTextContents()).toEqual(["toada@example.com", "subjectYour refund", "textHello Ada, we refunded 42 EUR."]);
    expect(await detail.locator(".evidence-text").allTextContents()).toEqual(["Order 1042 arrived broken on 20 November.", "Refunds up to 100 EUR need no return."]);
    expect(await detail.locator(".evidence-source a").getAttribute("href")).toBe("https://shop.example.com/orders/1042");
    expect(await detail.locator('[role="meter"]').getAttribute("aria-valuenow")).toBe("62");
    await screenshot(inbox, "inbox-1-pending");

    await inbox.keyboard.press("a");
    await inbox.locator(".empty-state").filter({ hasText: "Inbox zero" }).waitFor();

    // tab 1 sees the run carry on, live
    for (const id of ["start", "ask", "send"]) {
      await editor.locator(`.react-flow__node[data-id="${id}"] .kn[data-status="succeeded"]`).waitFor({ timeout: 15_000 });
    }
    await editor.locator('.run-status[data-run-status="succeeded"]').waitFor();
    await screenshot(editor, "inbox-2-run-carried-on");
    const runId = (await editor.locator(".run-link").textContent())!;
    const { body } = await h.api<{ run: RunResult }>("GET", `runs/${runId}`);
    expect(body.run.nodes.send.output).toEqual({ subject: "Your refund" });
  });

  test("E edits the proposal before approving, J/K move between approvals, R rejects with a reason", async () => {
    await h.api("PUT", "flows/refunds-2", refundFlow("refunds-2"));
    const first = await h.api<{ runId: string }>("POST", "flows/refunds-2/runs", { input: { customer: "Bo", amount: 10, email: "bo@example.com" } });
    await pending();
    const second = await h.api<{ runId: string }>("POST", "flows/refunds-2/runs", { input: { customer: "Cy", amount: 20, email: "cy@example.com" } });
    for (let i = 0; (await pending()).length < 2 && i < 100; i++) await new Promise((r) => setTimeout(r, 50));

    const inbox = (await open()).page;
    await inbox.goto(h.url("inbox"));
    await inbox.locator(".approval").waitFor();
    const titles = await inbox.locator(".inbox-item-title").allTextContents();
    expect([...titles].sort()).toEqual(["Refund Bo 10 EUR?", "Refund Cy 20 EUR?"]);
    const current = () => inbox.locator(".approval h1").textContent();
    const start = await current();
    await inbox.keyboard.press("j");
    await inbox.waitForFunction((t) => document.querySelector(".approval h1")?.textContent !== t, start);
    await inbox.keyboard.press("k");
    await inbox.waitForFunction((t) => document.querySelector(".approval h1")?.textContent === t, start);

    // go to Bo's, edit the subject, approve with Ctrl+Enter
    if ((await current()) !== "Refund Bo 10 EUR?") await inbox.keyboard.press(titles.indexOf("Refund Bo 10 EUR?") === 0 ? "k" : "j");
    await inbox.waitForFunction(() => document.querySelector(".approval h1")?.textContent === "Refund Bo 10 EUR?");
    await inbox.keyboard.press("e");
    const subject = inbox.locator("#edit-subject");
    await subject.fill("Your refund of 10 EUR");
    await screenshot(inbox, "inbox-3-editing");
    await inbox.keyboard.press("Control+Enter");
    await inbox.waitForFunction(() => document.querySelector(".approval h1")?.textContent === "Refund Cy 20 EUR?");

    // reject Cy's with a reason
    await inbox.keyboard.press("r");
    await inbox.locator("#reject-reason").fill("Not a customer of ours");
    await inbox.keyboard.press("Enter");
    await inbox.locator(".empty-state").filter({ hasText: "Inbox zero" }).waitFor();

    const result = async (runId: string) => {
      for (let i = 0; i < 100; i++) {
        const { body } = await h.api<{ run: RunResult }>("GET", `runs/${runId}`);
        if (body.run.status === "succeeded") return body.run;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`run ${runId} did not finish`);
    };
    const approved = await result(first.body.runId);
    expect(approved.nodes.send.output).toEqual({ subject: "Your refund of 10 EUR" });
    const rejected = await result(second.body.runId);
    expect(rejected.nodes.send.status).toBe("skipped");
    expect((rejected.nodes.ask.output as { reason?: string }).reason).toBe("Not a customer of ours");
  });
});
