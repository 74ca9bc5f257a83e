/**
 * Editing a flow from two places at once: both editors join the flow's yjs document over
 * /api/live, each one's change reaches the other, the draft outlives a restart of the server,
 * a save reaches every editor, and a malformed update changes nothing.
 */
import { afterEach, describe, expect, test } from "vitest";
import * as Y from "yjs";
import { readFlow, writeFlow } from "../../storage/docs/flow-live-docs.ts";
import { startServer, type RunningServer } from "../../server/start.ts";
import { makeFlow, tempDir } from "../support/keel.ts";
import { connectLive } from "./support/live-client.ts";

const TOKEN = "live-flows-token-0123456789";
const FLOW = makeFlow(
  [
    { id: "start", type: "trigger.manual", position: { x: 0, y: 0 } },
    { id: "greet", type: "transform", position: { x: 200, y: 0 }, params: { set: { text: "hello" } } },
  ],
  [["start", "greet"]],
  { id: "greeter", name: "Greeter" },
);

/** An editor: a socket joined to the flow and its own copy of the document. */
async function editor(server: RunningServer) {
  const c = connectLive({ url: `${server.url.replace("http:", "ws:")}api/live`, protocols: [`keel.${TOKEN}`] });
  await c.next((m) => m.type === "ready");
  const doc = new Y.Doc();
  let seen = 0;
  const pull = () => {
    for (const m of c.messages.slice(seen)) if ((m.type === "flow.state" || m.type === "flow.update") && m.flowId === "greeter") Y.applyUpdate(doc, Buffer.from(m.update, "base64"), "remote");
    seen = c.messages.length;
  };
  doc.on("update", (update: Uint8Array, origin: unknown) => {
    if (origin === "local") c.send({ type: "flow.update", flowId: "greeter", update: Buffer.from(update).toString("base64") });
  });
  c.send({ type: "flow.join", flowId: "greeter" });
  await c.next((m) => m.type === "flow.state");
  pull();
  /** Waits until this editor's document satisfies `ok`. */
  const until = async (ok: (flow: ReturnType<typeof readFlow>) => boolean) => {
    for (let i = 0; i < 100; i++) {
      pull();
      if (ok(readFlow(doc))) return readFlow(doc);
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`the document never got there: ${JSON.stringify(readFlow(doc))}`);
  };
  const edit = (change: (flow: ReturnType<typeof readFlow>) => void) => {
    const flow = readFlow(doc);
    change(flow);
    writeFlow(doc, flow, "local");
  };
  return { c, doc, until, edit };
}

describe("editing a flow from two places", () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function start(dir: string) {
    const server = await startServer({ dataDir: dir, port: 0, token: TOKEN, log: () => {} });
    cleanups.push(() => server.close());
    return server;
  }
  const api = (server: RunningServer, method: string, path: string, body?: unknown) =>
    fetch(new URL(`api/${path}`, server.url), { method, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  /** A server over a fresh data folder holding FLOW, saved. */
  async function serverWithFlow() {
    const data = tempDir("keel-live-flows-");
    cleanups.push(data.cleanup);
    const server = await start(data.dir);
    expect((await api(server, "POST", "flows", FLOW)).status).toBe(201);
    return { data, server };
  }

  test("both editors' changes reach each other, converge, and the draft outlives a restart", async () => {
    const started = await serverWithFlow();
    const { data } = started;
    let { server } = started;
    const a = await editor(server);
    const b = await editor(server);
    expect(readFlow(a.doc).nodes.map((n) => n.id)).toEqual(["greet", "start"]);

    // at the same moment: a changes the greeting, b adds a node and renames the flow
    a.edit((f) => (f.nodes.find((n) => n.id === "greet")!.params = { set: { text: "hi there" } }));
    b.edit((f) => {
      f.nodes.push({ id: "shout", type: "transform", position: { x: 400, y: 0 }, params: { set: { loud: "HI" } } } as never);
      f.name = "Greeter (team)";
    });
    const want = (f: ReturnType<typeof readFlow>) => f.name === "Greeter (team)" && f.nodes.length === 3 && JSON.stringify(f.nodes.find((n) => n.id === "greet")!.params).includes("hi there");
    const fromA = await a.until(want);
    const fromB = await b.until(want);
    expect(fromA).toEqual(fromB);

    // the saved flow is untouched until someone saves; the draft survives a restart
    expect((await (await api(server, "GET", "flows/greeter")).json()).flow.name).toBe("Greeter");
    await new Promise((r) => setTimeout(r, 300)); // the draft is written a moment after a change
    await server.close();
    cleanups.pop();
    server = await start(data.dir);
    const c = await editor(server);
    expect(readFlow(c.doc)).toEqual(fromA);
  });

  test("a save reaches every editor; a malformed update or an unknown flow changes nothing", async () => {
    const { server } = await serverWithFlow();
    const a = await editor(server);
    const saved = { ...FLOW, name: "Greeter v2" };
    expect((await api(server, "PUT", "flows/greeter", saved)).status).toBe(200);
    await a.c.next((m) => m.type === "flow.saved" && m.flow.name === "Greeter v2");
    await a.until((f) => f.name === "Greeter v2");

    a.c.send({ type: "flow.update", flowId: "greeter", update: Buffer.from("not a yjs update").toString("base64") });
    await a.c.next((m) => m.type === "error" && /not a yjs update/.test(m.error.message));
    a.c.send({ type: "flow.join", flowId: "nope" });
    await a.c.next((m) => m.type === "error" && /no flow "nope"/.test(m.error.message));
    a.c.send({ type: "flow.update", flowId: "other", update: "AAAA" });
    await a.c.next((m) => m.type === "error" && /join flow "other"/.test(m.error.message));
    const b = await editor(server);
    expect(readFlow(b.doc).name).toBe("Greeter v2");
    expect(readFlow(b.doc).nodes).toHaveLength(2);
  });
});
