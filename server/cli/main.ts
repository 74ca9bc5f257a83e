/** The `keel` command line. */
import { Command } from "commander";
import { registerRunCommands } from "./run-commands.ts";

const program = new Command();
program
  .name("keel")
  .description("Keel: flows of models, memory, approvals and actions, run durably.")
  .version("0.1.0")
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) });

registerRunCommands(program);

program
  .command("start")
  .description("start the Keel server and editor (coming with the server issue)")
  .option("--data <dir>", "data folder")
  .action(() => {
    process.stderr.write(
      "keel: the server and editor are not built yet.\n" +
        "Run a flow headless meanwhile:\n  npx keel run templates/hello.keel.json --input '{\"client\":\"Acme\"}'\n",
    );
  });

await program.parseAsync(process.argv);
