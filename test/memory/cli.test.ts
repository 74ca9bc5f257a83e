import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasStackTrace, keelCli } from "../cli/cli.ts";
import { tempDir } from "../support/keel.ts";

const CORPUS = path.resolve(import.meta.dirname, "../fixtures/corpus");

describe("keel memory (the real CLI)", () => {
  const tmp = tempDir("keel-memory-cli-");
  afterAll(() => tmp.cleanup());

  it("ingests with progress on stderr, searches, re-ingests as a no-op and reports stats", async () => {
    const data = ["--data", tmp.dir];
    const ingest = await keelCli(["memory", "ingest", CORPUS, "--collection", "studio", ...data]);
    expect(ingest.code).toBe(0);
    expect(JSON.parse(ingest.stdout)).toMatchObject({ collection: "studio", files: 30, added: 30 });
    expect(ingest.stderr).toMatch(/100% \d+\/\d+ chunks to embed · 30 files/);

    const search = await keelCli(["memory", "search", "which client hates script fonts", "--k", "3", "--json", ...data]);
    expect(search.code).toBe(0);
    const items = JSON.parse(search.stdout).items as Array<{ citation: string }>;
    expect(items.map((i) => i.citation)).toContain("clients/saltmarsh-oysters.md § Saltmarsh Oyster Bar > Menus");

    const text = await keelCli(["memory", "search", "fleet livery deadline", "-k", "1", ...data]);
    expect(text.stdout).toMatch(/^1\. clients\/atlas-freight\.md § Atlas Freight > Project: fleet livery/);

    const again = await keelCli(["memory", "ingest", CORPUS, "--collection", "studio", "-q", ...data]);
    expect(JSON.parse(again.stdout)).toMatchObject({ unchanged: 30, chunksAdded: 0, chunksRemoved: 0 });
    expect(again.stderr).toBe("");

    const stats = await keelCli(["memory", "stats", ...data]);
    const table = JSON.parse(stats.stdout).tables[0];
    expect(table.space).toMatchObject({ provider: "local", dim: 256 });
    expect(table.collections.studio.long).toBe(JSON.parse(ingest.stdout).chunksAdded);
  });

  it("says what is wrong, without a stack trace", async () => {
    const missing = await keelCli(["memory", "ingest", path.join(tmp.dir, "nowhere"), "--data", tmp.dir]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/nowhere: no such folder/);
    const badK = await keelCli(["memory", "search", "x", "--k", "many", "--data", tmp.dir]);
    expect(badK.code).toBe(3);
    expect(badK.stderr).toMatch(/--k must be an integer/);
    expect(hasStackTrace(missing.stderr + badK.stderr)).toBe(false);
  });
});
