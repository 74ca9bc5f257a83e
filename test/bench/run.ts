/** `npm run bench [name…]`: runs the named benchmarks (all when none is named) and prints figures. */
import { benchApi } from "./api.ts";
import { benchApprovals } from "./approvals.ts";
import { benchChain } from "./chain.ts";
import { benchActions } from "./actions.ts";
import { benchThroughput } from "./throughput.ts";
import { benchMemory } from "./memory.ts";
import { benchCode } from "./code.ts";
import { benchEditor } from "./editor.ts";

const benches: Record<string, () => Promise<void>> = {
  chain: benchChain,
  actions: benchActions,
  throughput: benchThroughput,
  memory: benchMemory,
  code: benchCode,
  editor: benchEditor,
  api: benchApi,
  approvals: benchApprovals,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const unknown = wanted.filter((w) => !(w in benches));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(", ")}; known: ${Object.keys(benches).join(", ")}`);
  process.exit(3);
}
console.log(`Keel benchmarks — node ${process.version}, ${new Date().toISOString()}`);
for (const [name, fn] of Object.entries(benches)) {
  if (wanted.length && !wanted.includes(name)) continue;
  await fn();
}
