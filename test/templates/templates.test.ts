/** Every shipped template validates and runs end to end, on the built-in local model provider. */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkFlow } from "../../runtime/prepare.ts";
import { createRegistry } from "../../nodes/index.ts";
import { testKeel } from "../support/keel.ts";

const dir = path.resolve(import.meta.dirname, "../../templates");
const corpus = path.resolve(import.meta.dirname, "../fixtures/corpus");
const load = (name: string) => JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));

let keel: ReturnType<typeof testKeel> | undefined;
afterEach(async () => {
  await keel?.dispose();
  keel = undefined;
});

describe("templates", () => {
  it("every template file is a valid flow whose id matches its file name", () => {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".keel.json"));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      const check = checkFlow(load(f), createRegistry());
      expect(check.ok ? [] : check.issues, f).toEqual([]);
      expect(load(f).id).toBe(f.replace(/\.keel\.json$/, ""));
    }
  });

  it("hello: greets, takes the branch for a big order, writes the note", async () => {
    keel = testKeel();
    const r = await keel.coordinator.run(load("hello.keel.json"), { client: "Acme", amount: 5000 });
    expect(r.status).toBe("succeeded");
    expect(r.nodes.regular.status).toBe("skipped");
    expect(fs.readFileSync(path.join(keel.dataDir, "outbox/notes/Acme.txt"), "utf8")).toBe("Hello, Acme! Thank you for the big order.");
  });

  it("proposal-draft: drafts from memory, waits for approval with the evidence, files the approved (edited) proposal", async () => {
    keel = testKeel();
    await keel.memory.ingest(corpus, { collection: "clients" });
    const first = await keel.coordinator.run(load("proposal-draft.keel.json"), { client: "Harbor Bakery", project: "a new menu board" });
    expect(first.status).toBe("waiting");
    await keel.approvals.idle(); // the approval is written (durably) before it is listed
    const [approval] = await keel.approvals.list({ status: "pending" });
    expect(approval.title).toBe("Send the proposal to Harbor Bakery?");
    expect(JSON.stringify(approval.evidence)).toContain("clients/harbor-bakery.md");
    const draft = (approval.proposal as { text: string }).text;
    expect(draft).toContain("Proposal for Harbor Bakery");
    expect(draft).toContain("bank transfer"); // what memory knows made it into the draft

    const edited = `${draft}\n\nP.S. Samples by Friday.`;
    const { settled } = await keel.approvals.decide(approval.id, { decision: "approve", edits: { text: edited } }, { awaitRun: "settled" });
    const done = await settled!;
    expect(done.status).toBe("succeeded");
    expect(done.nodes.declined.status).toBe("skipped");
    expect(fs.readFileSync(path.join(keel.outbox.dir, "proposals/harbor-bakery.md"), "utf8")).toBe(edited);
  });
});
