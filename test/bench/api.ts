/**
 * api: latency of `GET /api/runs/:id` over a real socket while 10 runs execute concurrently
 * (each finished run is replaced at once, so 10 are always in flight). The client runs in a
 * worker thread, like a browser in its own process, so its own work does not queue behind the
 * server's. Baseline in the same run: the same request with no run executing. Goal: p99 < 50 ms.
 * Measured twice: with the data folder on disk, and on a RAM disk (what is left is CPU).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { startServer } from "../../server/start.ts";
import { tempDir, transformChain } from "../support/keel.ts";
import { heading, percentile, report } from "./util.ts";

const CONCURRENT_RUNS = 10;
const CHAIN_NODES = 100;
const REQUESTS = 600;
const WARMUP = 50;

export async function benchApi(): Promise<void> {
  heading(`api — GET /api/runs/:id (${CHAIN_NODES}-node run, ${2 * CHAIN_NODES + 2} events), ${REQUESTS} requests one after another`);
  await measureApi({ label: "data folder on disk" });
  if (fs.existsSync("/dev/shm")) await measureApi({ label: "data folder in /dev/shm (tmpfs): no disk stalls", parent: "/dev/shm" });
}

async function measureApi(options: { label: string; parent?: string }): Promise<void> {
  console.log(`  ${options.label}`);
  const data = options.parent ? tempIn(options.parent) : tempDir("keel-bench-api-");
  const token = "bench-token-0123456789abcdef";
  const server = await startServer({ dataDir: data.dir, port: 0, token, log: () => {} });
  try {
    const flow = transformChain(CHAIN_NODES, "work");
    await server.keel.flows.put(flow as Parameters<typeof server.keel.flows.put>[0]);
    const target = await server.keel.coordinator.run(flow, { start: 1 });
    if (target.status !== "succeeded") throw new Error(`the target run ${target.status}`);
    const measure = () => timeRequests(new URL(`api/runs/${target.runId}`, server.url).href, token);

    const quiet = await measure();

    let pumping = true;
    let finished = 0;
    const failures: string[] = [];
    const lane = async () => {
      while (pumping) {
        const r = await server.keel.coordinator.run(flow, { start: 1 });
        if (r.status !== "succeeded") failures.push(`${r.runId} ${r.status}`);
        finished++;
      }
    };
    const lanes = Array.from({ length: CONCURRENT_RUNS }, lane);
    await new Promise((r) => setTimeout(r, 200)); // let the lanes fill up
    const t0 = performance.now();
    const finishedBefore = finished;
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const busy = await measure();
    const cpu = process.cpuUsage(cpu0);
    loop.disable();
    const cpuShare = (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
    const runsPerSecond = (finished - finishedBefore) / ((performance.now() - t0) / 1000);
    pumping = false;
    await Promise.all(lanes);
    if (failures.length) throw new Error(`runs failed during the benchmark: ${failures.slice(0, 3).join(", ")}`);

    report(`p50 with ${CONCURRENT_RUNS} runs executing`, percentile(busy.times, 50), "ms", `baseline (no runs) ${percentile(quiet.times, 50).toFixed(2)} ms`);
    report(`p99 with ${CONCURRENT_RUNS} runs executing`, percentile(busy.times, 99), "ms", `goal < 50 ms; baseline ${percentile(quiet.times, 99).toFixed(2)} ms`);
    report("max with runs executing", busy.times.at(-1)!, "ms", `baseline ${quiet.times.at(-1)!.toFixed(2)} ms`);
    report("server event-loop delay p50 / p99", `${(loop.percentile(50) / 1e6).toFixed(1)} / ${(loop.percentile(99) / 1e6).toFixed(1)}`, "ms", "(meanwhile)");
    report("CPU time the process got meanwhile", cpuShare * 100, "% of a core", `(machine load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores)`);
    report("runs finished per second meanwhile", runsPerSecond, "runs/s", `(response ${(busy.bytes / 1024).toFixed(0)} KB)`);
  } finally {
    await server.close();
    data.cleanup();
  }
}

/** Sends WARMUP + REQUESTS GETs one after another from a worker thread; returns the sorted times. */
function timeRequests(url: string, token: string): Promise<{ times: number[]; bytes: number }> {
  const worker = new Worker(CLIENT, { eval: true, workerData: { url, token, warmup: WARMUP, requests: REQUESTS } });
  return new Promise((resolve, reject) => {
    worker.once("message", (m: { times?: number[]; bytes: number; error?: string }) => {
      if (m.error) reject(new Error(m.error));
      else resolve({ times: m.times!.sort((a, b) => a - b), bytes: m.bytes });
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}

const CLIENT = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const { url, token, warmup, requests } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = () => new Promise((resolve, reject) => {
  const req = http.get(url, { agent, headers: { authorization: "Bearer " + token } }, (res) => {
    let bytes = 0;
    res.on("data", (c) => (bytes += c.length));
    res.on("end", () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error("GET " + url + ": " + res.statusCode))));
  });
  req.on("error", reject);
});
(async () => {
  const times = [];
  let bytes = 0;
  for (let i = 0; i < warmup + requests; i++) {
    const t0 = performance.now();
    bytes = await get();
    if (i >= warmup) times.push(performance.now() - t0);
  }
  agent.destroy();
  parentPort.postMessage({ times, bytes });
})().catch((e) => parentPort.postMessage({ error: String(e && e.message || e) }));
`;

function tempIn(parent: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(parent, "keel-bench-api-"));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
