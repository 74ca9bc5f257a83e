// The sandbox process's entry: Keel runs from TypeScript source, so register tsx (as bin/keel.js
// does) and load the sandbox worker. Started by process-sandbox.ts with --no-node-snapshot.
import { register } from "tsx/esm/api";

register();
await import("./child.ts");
