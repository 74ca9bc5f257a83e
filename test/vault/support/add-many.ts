/** A separate process that adds credentials one after another: `add-many.ts DATA PREFIX COUNT`. */
import { openVault } from "../../../storage/vault/index.ts";

const [dataDir, prefix, count] = process.argv.slice(2);
const vault = openVault(dataDir);
for (let i = 0; i < Number(count); i++) {
  vault.add({ name: `${prefix}-${i}`, kind: "api-key", fields: { apiKey: `${prefix}-secret-${i}` }, allowedFlows: "*" });
}
