import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { connectLive } from "./support/live-client.ts";
import { makeFlow, tempDir } from "../support/keel.ts";
import { startServer, type RunningServer } from "../../server/start.ts";

const TOKEN = "live-test-token-0123456789";
let server: RunningServer;
let data: ReturnType<typeof tempDir>;
let wsUrl: string;

beforeAll(async () => {
  data = tempDir();
  server = await startServer({ dataDir: data.dir, port: 0, token: TOKEN, log: () => {}, live: { authTimeoutMs: 300 } });
  wsUrl = `${server.url.replace("http:", "ws:")}api/live`;
  const flows = [
    makeFlow(
      [
        { id: "start", type: "trigger.manual" },
        { id: "shout", type: "transform", params: { set: { text: "{{ $uppercase(input.word) }}" } } },
      ],
      [["start", "shout"]],
      { id: "shout", name: "Shout" },
    ),
    makeFlow(
      [
        { id: "start", type: "trigger.manual" },
        { id: "nap", type: "wait.timer", params: { ms: 150 } },
        { id: "after", type: "transform", params: { set: { done: true } } },
      ],
      [
        ["start", "nap"],
        ["nap", "after"],
      ],
      { id: "nap", name: "Nap" },
    ),
  ];
  for (const flow of flows) expect((await api("POST", "flows", flow)).status).toBe(201);
});
afterAll(async () => {
  await server.close();
  data.cleanup();
});

function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(`api/${path}`, server.url), {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const connect = (options: Omit<Parameters<typeof connectLive>[0], "url"> & { url?: string } = {}) => connectLive({ ...options, url: options.url ?? wsUrl });

describe("websocket /api/live", () => {
  test("a socket that sends anything before authenticating is closed with 4401", async () => {
    const c = connect();
    await c.opened;
    c.send({ type: "subscribe", flowId: "shout" });
    expect((await c.closed).code).toBe(4401);
  });

  test("a socket that stays silent is closed with 4401", async () => {
    const c = connect();
    expect((await c.closed).code).toBe(4401);
  });

  test("a wrong token is closed with 4401; a token in the URL is not looked at", async () => {
    const wrong = connect();
    await wrong.opened;
    wrong.send({ type: "auth", token: `${TOKEN}x` });
    expect((await wrong.closed).code).toBe(4401);
    const inUrl = connect({ url: `${wsUrl}?token=${TOKEN}` });
    await inUrl.opened;
    inUrl.send({ type: "subscribe", flowId: "shout" });
    expect((await inUrl.closed).code).toBe(4401);
  });

  test("a foreign Origin or Host cannot open the socket (403)", async () => {
    expect((await connect({ headers: { origin: "http://evil.example" } }).failed).status).toBe(403);
    expect((await connect({ headers: { host: "rebound.example:80" } }).failed).status).toBe(403);
  });

  test("the subprotocol keel.<token> authenticates at once; a wrong one fails the handshake", async () => {
    const good = connect({ protocols: [`keel.${TOKEN}`] });
    expect(await good.next((m) => m.type === "ready")).toEqual({ type: "ready" });
    expect(good.ws.protocol).toBe(`keel.${TOKEN}`);
    good.ws.close();
    const bad = connect({ protocols: ["keel.nope-nope-nope-nope"] });
    await bad.failed;
    expect(bad.ws.readyState).not.toBe(WebSocket.OPEN);
  });

  test("a flow subscriber receives every event of a new run, in order, as appended", async () => {
    const c = connect();
    await c.opened;
    c.send({ type: "auth", token: TOKEN });
    await c.next((m) => m.type === "ready");
    c.send({ type: "subscribe", flowId: "shout" });
    await c.next((m) => m.type === "subscribed" && m.flowId === "shout");
    const { runId } = await (await api("POST", "flows/shout/runs", { input: { word: "keel" } })).json();
    await c.next((m) => m.type === "event" && m.runId === runId && m.event.type === "run.succeeded");
    const pushed = c.messages.filter((m) => m.type === "event" && m.runId === runId);
    expect(pushed.every((m) => m.flowId === "shout")).toBe(true);
    const { events } = await (await api("GET", `runs/${runId}`)).json();
    expect(pushed.map((m) => m.event)).toEqual(events);
    c.ws.close();
  });

  test("a run subscriber (subscribe, then read) misses nothing of a run that waits on a timer", async () => {
    const c = connect({ protocols: [`keel.${TOKEN}`] });
    await c.next((m) => m.type === "ready");
    const { runId } = await (await api("POST", "flows/nap/runs", {})).json();
    c.send({ type: "subscribe", runId });
    await c.next((m) => m.type === "subscribed" && m.runId === runId);
    const read = await (await api("GET", `runs/${runId}`)).json();
    await c.next((m) => m.type === "event" && m.runId === runId && m.event.type === "run.succeeded");
    const seen = new Map<number, unknown>();
    for (const e of read.events) seen.set(e.seq, e);
    for (const m of c.messages) if (m.type === "event") seen.set(m.event.seq, m.event);
    const seqs = [...seen.keys()].sort((a, b) => a - b);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // no gaps
    const types = [...seen.values()].map((e: any) => e.type);
    expect(types).toContain("node.waiting");
    expect(types).toContain("node.woken");
    expect(types.at(-1)).toBe("run.succeeded");
    c.ws.close();
  });

  test("bad messages get an error answer and the socket stays open", async () => {
    const c = connect({ protocols: [`keel.${TOKEN}`] });
    await c.next((m) => m.type === "ready");
    for (const bad of ["not json", "[]", "null", '{"type":"subscribe"}', '{"type":"subscribe","runId":5}', '{"type":"dance"}', `{"type":"subscribe","flowId":"${"x".repeat(300)}"}`]) {
      c.ws.send(bad);
    }
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await c.next(() => c.messages.filter((m) => m.type === "error").length === 8);
    c.send({ type: "ping" });
    expect(await c.next((m) => m.type === "pong")).toEqual({ type: "pong" });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close();
  });

  test("other upgrade paths are refused", async () => {
    expect((await connect({ url: wsUrl.replace("/api/live", "/api/other") }).failed).status).toBe(404);
  });
});
