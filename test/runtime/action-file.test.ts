/** action.file over the real outbox: atomic, confined to the outbox, idempotent by key, compensable. */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeContext } from "../../runtime/testing.ts";
import { actionFile } from "../../nodes/action-file.ts";
import { FileOutbox } from "../../storage/outbox.ts";
import { makeFlow, tempDir, testKeel } from "../support/keel.ts";

let tmp: ReturnType<typeof tempDir> | undefined;
let keel: ReturnType<typeof testKeel> | undefined;
afterEach(async () => {
  tmp?.cleanup();
  await keel?.dispose();
  tmp = keel = undefined;
});

function outbox() {
  tmp = tempDir("keel-outbox-");
  return new FileOutbox(path.join(tmp.dir, "outbox"));
}

const run = (box: FileOutbox, params: { path: string; content: unknown }, key = "keel:r1:save") =>
  actionFile.run(makeContext({ params, outbox: box, idempotencyKey: key }));

describe("action.file", () => {
  it("writes text as is and other values as JSON, leaving no temp files", async () => {
    const box = outbox();
    expect(await run(box, { path: "notes/a.txt", content: "hello" })).toEqual({ path: "notes/a.txt", bytes: 5 });
    expect(fs.readFileSync(path.join(box.dir, "notes/a.txt"), "utf8")).toBe("hello");
    await run(box, { path: "data.json", content: { a: [1, 2] } }, "keel:r1:other");
    expect(JSON.parse(fs.readFileSync(path.join(box.dir, "data.json"), "utf8"))).toEqual({ a: [1, 2] });
    const all = fs.readdirSync(box.dir, { recursive: true }).map(String);
    expect(all.filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("writes at most once per idempotency key", async () => {
    const box = outbox();
    const first = await run(box, { path: "once.txt", content: "first" });
    fs.writeFileSync(path.join(box.dir, "once.txt"), "changed by the operator");
    const again = await run(box, { path: "once.txt", content: "second" }); // a retry or resume of the same node
    expect(again).toEqual(first);
    expect(fs.readFileSync(path.join(box.dir, "once.txt"), "utf8")).toBe("changed by the operator");
    await run(box, { path: "once.txt", content: "new key" }, "keel:r2:save");
    expect(fs.readFileSync(path.join(box.dir, "once.txt"), "utf8")).toBe("new key");
  });

  it("refuses paths that leave the outbox", async () => {
    const box = outbox();
    for (const p of ["../escape.txt", "a/../../escape.txt", "/etc/passwd", "", "x\0y"]) {
      await expect(run(box, { path: p, content: "x" }, `keel:r:${p}`), JSON.stringify(p)).rejects.toMatchObject({ code: "VALIDATION" });
    }
    fs.mkdirSync(box.dir, { recursive: true });
    fs.symlinkSync(tmp!.dir, path.join(box.dir, "link"));
    await expect(run(box, { path: "link/escape.txt", content: "x" }, "keel:r:link")).rejects.toMatchObject({ code: "VALIDATION" });
    expect(fs.existsSync(path.join(tmp!.dir, "escape.txt"))).toBe(false);
    // a link to a sibling folder whose name starts like the outbox's leads out just the same
    fs.mkdirSync(path.join(tmp!.dir, "outbox-other"));
    fs.symlinkSync(path.join(tmp!.dir, "outbox-other"), path.join(box.dir, "sibling"));
    await expect(run(box, { path: "sibling/x.txt", content: "x" }, "keel:r:sibling")).rejects.toMatchObject({ code: "VALIDATION" });
    expect(fs.existsSync(path.join(tmp!.dir, "outbox-other", "x.txt"))).toBe(false);
    // a link that stays inside the outbox is fine
    fs.mkdirSync(path.join(box.dir, "real"));
    fs.symlinkSync(path.join(box.dir, "real"), path.join(box.dir, "alias"));
    await run(box, { path: "alias/ok.txt", content: "fine" }, "keel:r:alias");
    expect(fs.readFileSync(path.join(box.dir, "real", "ok.txt"), "utf8")).toBe("fine");
  });

  it("in a run: the file lands under <data>/outbox, and compensation removes it", async () => {
    keel = testKeel();
    const flow = makeFlow(
      [
        { id: "save", type: "action.file", params: { path: "out/{{ input.name }}.txt", content: "for {{ input.name }}" } },
        { id: "boom", type: "action.http", params: { url: "http://127.0.0.1:1/unreachable" }, retry: { attempts: 1 } },
      ],
      [["save", "boom"]],
      { onFailure: "compensate" },
    );
    const file = path.join(keel.dataDir, "outbox", "out", "acme.txt");
    const seen: boolean[] = [];
    keel.coordinator.on((_, e) => {
      if (e.type === "node.succeeded" && e.node === "save") seen.push(fs.existsSync(file));
    });
    const result = await keel.coordinator.run(flow, { name: "acme" });
    expect(result.status).toBe("failed");
    expect(result.nodes.save.output).toEqual({ path: "out/acme.txt", bytes: 8 });
    expect(seen).toEqual([true]);
    expect(fs.existsSync(file)).toBe(false);
    const events = await keel.coordinator.events(result.runId);
    expect(events.some((e) => e.type === "compensation.succeeded" && e.node === "save")).toBe(true);
  });

  it("in a run: a path that escapes fails the node with a clear VALIDATION error", async () => {
    keel = testKeel();
    const result = await keel.coordinator.run(makeFlow([{ id: "save", type: "action.file", params: { path: "{{ input.p }}", content: "x" } }]), { p: "../../x" });
    expect(result.status).toBe("failed");
    expect(result.nodes.save.error).toMatchObject({ code: "VALIDATION", retryable: false });
    expect(result.nodes.save.error?.message).toContain("escapes the outbox");
  });
});
