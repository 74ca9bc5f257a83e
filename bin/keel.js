#!/usr/bin/env -S node --no-node-snapshot
// Keel is written in TypeScript and runs from source: tsx compiles each module on first
// import (cached), so `npm install` is the only build step a user ever needs. Node runs without
// its startup snapshot, as isolated-vm (the code node's sandbox) needs on Node 20+.
import { register } from "tsx/esm/api";

register();
await import("../server/cli/main.ts");
