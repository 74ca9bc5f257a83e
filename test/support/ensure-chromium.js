// Runs before `npm test`: the end-to-end tests drive Debian's Chromium. Where it is missing,
// install it (these machines run as root with apt), or stop with the one command to run.
import { execSync } from "node:child_process";
import fs from "node:fs";

const CHROMIUM = "/usr/bin/chromium";
if (!fs.existsSync(CHROMIUM)) {
  const root = process.getuid?.() === 0;
  const apt = fs.existsSync("/usr/bin/apt-get");
  if (root && apt) {
    console.error("keel tests: Chromium is missing; installing Debian's chromium package…");
    execSync("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null", {
      stdio: "inherit",
      shell: "/bin/bash",
    });
  } else {
    console.error("keel tests need Chromium for the end-to-end tests. Install it with:\n  sudo apt-get install -y chromium");
    process.exit(1);
  }
}
