import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { eventStoreContract } from "./event-store.contract.ts";
import { FileEventStore } from "../../storage/eventlog/file-event-store.ts";

eventStoreContract("FileEventStore", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "keel-events-"));
  const dir = path.join(root, "runs");
  let store = new FileEventStore({ dir });
  const harness = {
    store,
    async restart() {
      await store.close();
      store = new FileEventStore({ dir });
      harness.store = store;
      return store;
    },
    async tamper(runId: string, seq: number) {
      const file = store.fileOf(runId);
      const buf = fs.readFileSync(file);
      let start = 0;
      for (let line = 1; line < seq; line++) start = buf.indexOf(10, start) + 1;
      const end = buf.indexOf(10, start);
      const at = start + Math.floor((end - start) * 0.75); // inside the JSON, not the newline
      buf[at] = buf[at] === 0x41 ? 0x42 : 0x41;
      fs.writeFileSync(file, buf);
    },
    async tear(runId: string) {
      const file = store.fileOf(runId);
      const size = fs.statSync(file).size;
      fs.truncateSync(file, size - 7); // the last line loses its end and its newline
    },
    async snapshot(runId: string) {
      return fs.readFileSync(store.fileOf(runId)).toString("base64");
    },
    async dispose() {
      await store.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return harness;
});

describe("FileEventStore's journal of open runs", () => {
  it("compacts itself once mostly finished runs, keeping the open ones", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "keel-journal-"));
    try {
      const dir = path.join(root, "runs");
      const store = new FileEventStore({ dir });
      const ids = Array.from({ length: 700 }, (_, i) => `r-20260101-000000-${i.toString(16).padStart(10, "0")}`);
      for (const id of ids) {
        store.create(id);
        store.append(id, { type: "run.waiting" });
      }
      for (const id of ids.slice(0, 697)) store.finish(id);
      await store.sync();
      const journal = path.join(dir, "open.log");
      expect(fs.readFileSync(journal, "utf8").split("\n").length).toBeGreaterThan(1300);
      expect(await store.openRuns()).toEqual(ids.slice(697));
      expect(fs.readFileSync(journal, "utf8")).toBe(ids.slice(697).map((id) => `+${id}\n`).join(""));
      // the journal goes on after compaction, and a restart reads it
      store.finish(ids[698]);
      await store.close();
      expect(await new FileEventStore({ dir }).openRuns()).toEqual([ids[697], ids[699]]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
