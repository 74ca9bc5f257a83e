/**
 * actions: a 20-node chain of action.http nodes against a loopback server. Per node, Keel's
 * overhead beyond the HTTP round trip (measured in the same run with fetch, same request) is
 * set beside the physical floor of durability on the same disk: one append + fdatasync.
 * Goal: overhead at most 3x that floor. Also timed: an fdatasync after writing into zero-filled
 * space (how Keel's segments are written), and the same durable calls made by hand that way.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { makeFlow, testKeel } from "../support/keel.ts";
import { heading, median, report } from "./util.ts";

const NODES = 20;
const RUNS = 40;

/** Answers every request at once with a small JSON echo of the body's `n`. */
async function loopbackServer(): Promise<{ url: string; requests: number; close(): Promise<void> }> {
  const state = { url: "", requests: 0, close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      state.requests++;
      let n = 0;
      try {
        n = Number(JSON.parse(Buffer.concat(chunks).toString("utf8")).n) || 0;
      } catch {
        // no body
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, n }));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
  return state;
}

function actionChain(url: string) {
  const nodes = [{ id: "a0", type: "action.http", params: { url: `${url}/step/0`, body: { n: "{{ input.start }}" } } }];
  for (let i = 1; i < NODES; i++) {
    nodes.push({ id: `a${i}`, type: "action.http", params: { url: `${url}/step/${i}`, body: { n: `{{ nodes.a${i - 1}.output.body.n + 1 }}` } } });
  }
  const edges = nodes.slice(1).map((_, i) => [`a${i}`, `a${i + 1}`] as [string, string]);
  return makeFlow(nodes, edges, { id: "actions", name: `${NODES} actions in a row` });
}

const INTENT_LINE = `${"f".repeat(32)} ${JSON.stringify({ type: "node.intent", node: "a7", attempt: 1, key: "keel:r-20260101-000000-0123456789:a7", ts: Date.now(), seq: 3 })}\n`;

/**
 * A file written at its end, either appending (`ready: false`) or into zero-filled space made
 * beforehand, as Keel's segments are: then an fdatasync has no new file size to record.
 */
class LogFile {
  private readonly fd: number;
  private at = 0;
  private static readonly SPACE = 8 * 1024 * 1024;

  constructor(file: string, private readonly ready: boolean) {
    this.fd = fs.openSync(file, ready ? "w" : "a");
    if (ready) {
      fs.writeSync(this.fd, Buffer.alloc(LogFile.SPACE));
      fs.fsyncSync(this.fd);
    }
  }

  write(text: string): void {
    if (!this.ready) {
      fs.writeSync(this.fd, text);
      return;
    }
    if (this.at + text.length > LogFile.SPACE) this.at = 0; // the space is allocated already: start over
    this.at += fs.writeSync(this.fd, text, this.at);
  }

  sync(): void {
    fs.fdatasyncSync(this.fd);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** Time of `count` writes of an event-sized line, each followed by fdatasync. */
function fdatasyncGroup(log: LogFile, count: number): number {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    log.write(INTENT_LINE);
    log.sync();
  }
  return performance.now() - t0;
}

/**
 * Time of `count` durable calls done by hand, with no engine, written as Keel's store writes:
 * the intent, fdatasync, the request, the result. On a virtual disk an fdatasync that follows
 * a network wait costs more than one right after another, so this is the floor for this
 * pattern of work.
 */
async function durableCalls(url: string, log: LogFile, count: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    log.write(INTENT_LINE);
    log.sync();
    const res = await fetch(`${url}/step/${i}`, {
      method: "POST",
      headers: { "Idempotency-Key": `keel:bench:${i}`, "Content-Type": "application/json" },
      body: JSON.stringify({ n: i }),
      redirect: "follow",
    });
    log.write(`${JSON.stringify({ status: res.status, body: await res.json() })}\n`);
  }
  return performance.now() - t0;
}

/** Time of `count` requests like the ones the action nodes send, made with fetch directly, one after another. */
async function roundTrips(url: string, count: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${url}/step/${i}`, {
      method: "POST",
      headers: { "Idempotency-Key": `keel:bench:${i}`, "Content-Type": "application/json" },
      body: JSON.stringify({ n: i }),
      redirect: "follow",
    });
    await res.arrayBuffer();
  }
  return performance.now() - t0;
}

export async function benchActions(): Promise<void> {
  heading(`actions — ${NODES} action.http nodes in a row against a loopback server, median of ${RUNS} runs`);
  const server = await loopbackServer();
  const keel = testKeel();
  const appended = new LogFile(path.join(keel.dataDir, "floor.log"), false);
  const ready = new LogFile(path.join(keel.dataDir, "ready.log"), true);
  try {
    const flow = actionChain(server.url);
    for (let i = 0; i < 5; i++) {
      await keel.coordinator.run(flow, { start: 1 }); // warm up
      await roundTrips(server.url, NODES);
      fdatasyncGroup(appended, NODES);
      fdatasyncGroup(ready, NODES);
      await durableCalls(server.url, ready, NODES);
    }
    // Each round measures the three side by side, so a busy moment of the disk or the machine
    // weighs on all of them alike; the figures are medians over rounds, divided per node.
    const keelMs: number[] = [];
    const rttMs: number[] = [];
    const floorMs: number[] = [];
    const readyMs: number[] = [];
    const byHandMs: number[] = [];
    const syncsBefore = keel.store.stats().syncs;
    const requestsBefore = server.requests;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const r = await keel.coordinator.run(flow, { start: 1 });
      keelMs.push(performance.now() - t0);
      if (r.status !== "succeeded") throw new Error(`actions run ${r.status}: ${JSON.stringify(r.error)}`);
      rttMs.push(await roundTrips(server.url, NODES));
      floorMs.push(fdatasyncGroup(appended, NODES));
      readyMs.push(fdatasyncGroup(ready, NODES));
      byHandMs.push(await durableCalls(server.url, ready, NODES));
    }
    const syncs = (keel.store.stats().syncs - syncsBefore) / RUNS;
    if (server.requests - requestsBefore !== 3 * NODES * RUNS) throw new Error(`expected ${3 * NODES * RUNS} requests, saw ${server.requests - requestsBefore}`);

    const perNode = median(keelMs) / NODES;
    const rtt = median(rttMs) / NODES;
    const floor = median(floorMs) / NODES;
    const overhead = median(keelMs.map((k, i) => k - rttMs[i])) / NODES;
    report("per-node time (whole run / 20)", perNode, "ms");
    report("baseline: bare HTTP round trip (fetch)", rtt, "ms");
    report("Keel overhead per action node", overhead, "ms", `= ${(overhead / floor).toFixed(2)}x the floor (goal ≤ 3x)`);
    report("floor: one append + fdatasync, same disk", floor, "ms");
    const inReady = median(readyMs) / NODES;
    report("write into zero-filled space + fdatasync", inReady, "ms", `what Keel's segments do: ${(inReady / floor).toFixed(2)}x the floor; Keel's overhead is ${(overhead / inReady).toFixed(2)}x this`);
    const byHand = median(byHandMs.map((b, i) => b - rttMs[i])) / NODES;
    report("by hand: write + fdatasync + request + write", median(byHandMs) / NODES, "ms", `durability after a network wait costs ${byHand.toFixed(3)} ms/node; Keel's engine adds ${(overhead - byHand).toFixed(3)}`);
    report("fdatasync calls per run", syncs, "", `(${(syncs / NODES).toFixed(2)} per node: the intent before each call)`);
  } finally {
    appended.close();
    ready.close();
    await keel.dispose();
    await server.close();
  }
}
