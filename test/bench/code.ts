/**
 * code: the code node's sandbox running a 100-item map, cold (a new isolate compiling the code)
 * and warm (a pooled isolate, the script cached, a fresh context per call), p50 and p99; warm
 * also through the sandbox process, the path code.js takes (one IPC round trip more). Baseline
 * in the same run: Node's own vm.runInNewContext on the same code (what Node-RED's function node
 * does, with no isolation from the host), cold (code not seen before) and warm.
 */
import vm from "node:vm";
import { ProcessSandbox, Sandbox } from "../../runtime/sandbox/index.ts";
import { heading, percentile, report } from "./util.ts";

const BODY = "return input.items.map((x) => ({ id: x.id, name: x.name.toUpperCase(), total: x.price * x.qty }));";
const WARM = 2000;
const COLD = 30;

function items() {
  return { items: Array.from({ length: 100 }, (_, i) => ({ id: i, name: `item ${i}`, price: i * 1.5, qty: (i % 7) + 1 })) };
}

function stats(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

export async function benchCode(): Promise<void> {
  heading(`code — code.js sandbox on a 100-item map (warm: ${WARM} calls, cold: ${COLD} new isolates) vs vm.runInNewContext`);
  const input = items();
  const expected = JSON.stringify(new Function("input", BODY)(input));
  const call = { input, params: {}, timeoutMs: 1000, memoryMb: 64 };

  // sandbox, cold: every sample a new sandbox (new isolate, nothing compiled or cached)
  const sandboxCold: number[] = [];
  for (let i = 0; i < COLD; i++) {
    const sandbox = new Sandbox({ maxIsolates: 1 });
    const t0 = performance.now();
    const out = await sandbox.run({ ...call, code: BODY });
    sandboxCold.push(performance.now() - t0);
    sandbox.close();
    if (JSON.stringify(out) !== expected) throw new Error("sandbox gave a wrong answer");
  }

  // sandbox, warm: one pooled isolate, the script cached
  const sandbox = new Sandbox({ maxIsolates: 1 });
  for (let i = 0; i < 200; i++) await sandbox.run({ ...call, code: BODY });
  const sandboxWarm: number[] = [];
  for (let i = 0; i < WARM; i++) {
    const t0 = performance.now();
    await sandbox.run({ ...call, code: BODY });
    sandboxWarm.push(performance.now() - t0);
  }
  const created = sandbox.stats().created;
  sandbox.close();

  // the code node's path: the same, in the sandbox process
  const viaProcess = new ProcessSandbox();
  const p0 = performance.now();
  await viaProcess.run({ ...call, code: BODY });
  const processStart = performance.now() - p0;
  for (let i = 0; i < 200; i++) await viaProcess.run({ ...call, code: BODY });
  const processWarm: number[] = [];
  for (let i = 0; i < WARM; i++) {
    const t0 = performance.now();
    const out = await viaProcess.run({ ...call, code: BODY });
    processWarm.push(performance.now() - t0);
    if (i === 0 && JSON.stringify(out) !== expected) throw new Error("sandbox process gave a wrong answer");
  }
  viaProcess.close();

  // baseline: vm.runInNewContext, a new context per call, the input handed over by reference
  const vmRun = (source: string) => vm.runInNewContext(`(async function (input) {\n${source}\n})(input)`, { input }) as Promise<unknown>;
  const vmCold: number[] = [];
  for (let i = 0; i < COLD; i++) {
    const source = `${BODY} // ${i} ${Math.random()}`; // code V8 has not compiled yet
    const t0 = performance.now();
    await vmRun(source);
    vmCold.push(performance.now() - t0);
  }
  for (let i = 0; i < 200; i++) await vmRun(BODY);
  const vmWarm: number[] = [];
  for (let i = 0; i < WARM; i++) {
    const t0 = performance.now();
    await vmRun(BODY);
    vmWarm.push(performance.now() - t0);
  }

  const sc = stats(sandboxCold);
  const sw = stats(sandboxWarm);
  const vc = stats(vmCold);
  const vw = stats(vmWarm);
  const pw = stats(processWarm);
  report("code.js path (sandbox process) warm p50", pw.p50, "ms", `goal < 1 ms; ${(pw.p50 / vw.p50).toFixed(2)}x vm (goal ≤ 3x)`);
  report("code.js path (sandbox process) warm p99", pw.p99, "ms", `${(pw.p99 / vw.p99).toFixed(2)}x vm`);
  report("sandbox in-process warm p50", sw.p50, "ms", `${(sw.p50 / vw.p50).toFixed(2)}x vm`);
  report("sandbox in-process warm p99", sw.p99, "ms", `${(sw.p99 / vw.p99).toFixed(2)}x vm`);
  report("sandbox cold p50 (new isolate + compile)", sc.p50, "ms", `${(sc.p50 / vc.p50).toFixed(2)}x vm`);
  report("sandbox cold p99", sc.p99, "ms");
  report("sandbox process start + first call", processStart, "ms", "(once per Keel process)");
  report("baseline: vm.runInNewContext warm p50", vw.p50, "ms");
  report("baseline: vm.runInNewContext warm p99", vw.p99, "ms");
  report("baseline: vm.runInNewContext cold p50", vc.p50, "ms", "(new code, compiled)");
  report("baseline: vm.runInNewContext cold p99", vc.p99, "ms");
  report("isolates created for the warm calls", created, "", "(1 = reused throughout)");
}
