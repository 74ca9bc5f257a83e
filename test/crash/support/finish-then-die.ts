/**
 * `finish-then-die.ts DATA`: runs a flow to the end, starts a second run, and kills itself
 * (SIGKILL) at once — before the run index's batched write, as a crash would.
 */
import { openKeel } from "../../../server/keel.ts";
import { makeFlow } from "../../support/keel.ts";

const keel = openKeel({ dataDir: process.argv[2] });
const flow = makeFlow([{ id: "a", type: "transform", params: { set: { x: "{{ input.n * 2 }}" } } }], [], { id: "doubler" });
const first = await keel.coordinator.run(flow, { n: 1 });
const second = await keel.coordinator.start(flow, { n: 2 }); // its writes carry whatever the journal had pending
process.stdout.write(`${JSON.stringify({ first: first.runId, firstStatus: first.status, second: second.runId })}\n`, () => process.kill(process.pid, "SIGKILL"));
