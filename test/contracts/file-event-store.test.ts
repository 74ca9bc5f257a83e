import fs from "node:fs";
import os from "node:os";
import path from "node:path";
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
