#!/usr/bin/env node
// Keel is written in TypeScript and runs from source: tsx compiles each module on first
// import (cached), so `npm install` is the only build step a user ever needs.
import { register } from "tsx/esm/api";

register();
await import("../server/cli/main.ts");
