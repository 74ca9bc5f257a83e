import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{runtime,nodes,storage,server,editor,test}/**/*.test.{ts,tsx}"],
    exclude: ["node_modules/**", "test/bench/**"],
    // native modules (isolated-vm, LanceDB) and child processes are happiest in forked workers
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
