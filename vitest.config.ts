import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{runtime,nodes,storage,server,editor,test}/**/*.test.{ts,tsx}"],
    exclude: ["node_modules/**", "test/bench/**"],
    // native modules (isolated-vm, LanceDB) and child processes are happiest in forked workers
    pool: "forks",
    // isolated-vm on Node 20+ needs the process started without Node's startup snapshot
    execArgv: ["--no-node-snapshot"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
