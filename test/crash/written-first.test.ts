/**
 * What a kill -9 relies on: an event is in the log file (written to the operating system)
 * before anyone hears of it and before the engine acts on it. Events of one moment share a
 * write, so these check the file itself at the moments that matter: when a listener hears of
 * an event, and when an action's request reaches the outside.
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RunEvent } from "../../runtime/schema/events.ts";
import { SegmentReader } from "../../storage/eventlog/segment-reader.ts";
import { startHttpRecorder, type HttpRecorder } from "../support/http-recorder.ts";
import type { OutboxDoor } from "../../runtime/doors.ts";
import { makeFlow, testKeel } from "../support/keel.ts";
import { ORDER_INPUTS, orderFlow } from "./order-flow.ts";

describe("events are written before anyone hears of them", () => {
  let keel: ReturnType<typeof testKeel> | undefined;
  let server: HttpRecorder | undefined;
  afterEach(async () => {
    await keel?.dispose();
    await server?.close();
    keel = server = undefined;
  });

  // read from the files by a reader of their own, as a process after a kill would
  const logged = (k: NonNullable<typeof keel>, runId: string): RunEvent[] =>
    new SegmentReader(path.join(k.dataDir, "runs")).read(runId).events;

  it("a listener only hears of events already in the file, and an action's request only leaves after its start and intent are", async () => {
    const k = (keel = testKeel());
    const problems: string[] = [];
    let runId = "";
    let heard = 0;
    k.coordinator.on((id, event) => {
      heard++;
      runId = id;
      const inFile = logged(k, id);
      if (inFile.length < event.seq || inFile[event.seq - 1].type !== event.type) problems.push(`heard ${event.type} #${event.seq} with ${inFile.length} events in the file`);
    });
    server = await startHttpRecorder({
      onRequest(req) {
        const node = req.key!.split(":").at(-1)!;
        const types = logged(k, runId)
          .filter((e) => "node" in e && e.node === node)
          .map((e) => e.type);
        if (!types.includes("node.started") || !types.includes("node.intent")) problems.push(`${node} called with only [${types.join(", ")}] in the file`);
      },
    });
    for (const input of ORDER_INPUTS) {
      const result = await k.coordinator.run(orderFlow(server.url), input);
      expect(result.status).toBe("succeeded");
    }
    expect(problems).toEqual([]);
    expect(heard).toBeGreaterThan(40);
    expect(server.requests.length).toBe(9); // 5 actions on the review path, 4 on the fast lane
  });

  it("a node's code starts only once its node.started and, for an action, its intent are in the file", async () => {
    const problems: string[] = [];
    const files = new Map<string, string>();
    let k: NonNullable<typeof keel>;
    // an outbox that looks at the log the moment action.file first touches it
    const outbox = (runId: string, nodeId: string): OutboxDoor => ({
      async exists(rel) {
        const types = logged(k, runId)
          .filter((e) => "node" in e && e.node === nodeId)
          .map((e) => e.type);
        if (types.join() !== "node.started,node.intent") problems.push(`${nodeId} ran with [${types.join(", ")}] in the file`);
        return files.has(rel);
      },
      async write(rel, content) {
        files.set(rel, String(content));
        return { path: rel, bytes: String(content).length };
      },
      async read(rel) {
        return Buffer.from(files.get(rel) ?? "");
      },
      async remove(rel) {
        files.delete(rel);
      },
    });
    k = keel = testKeel({ coordinator: { doors: (scope) => ({ outbox: outbox(scope.runId, scope.nodeId) }) } });
    const flow = makeFlow(
      [
        { id: "start", type: "trigger.manual" },
        { id: "name", type: "transform", params: { set: { file: "notes/{{ input.client }}.txt" } } },
        { id: "first", type: "action.file", params: { path: "{{ nodes.name.output.file }}", content: "hello" } },
        { id: "second", type: "action.file", params: { path: "copy-{{ nodes.first.output.bytes }}.txt", content: "again" } },
      ],
      [
        ["start", "name"],
        ["name", "first"],
        ["first", "second"],
      ],
    );
    const result = await k.coordinator.run(flow, { client: "Acme" });
    expect(result.status).toBe("succeeded");
    expect(problems).toEqual([]);
    expect([...files.keys()].filter((f) => !f.startsWith(".receipts"))).toEqual(["notes/Acme.txt", "copy-5.txt"]);
  });
});
