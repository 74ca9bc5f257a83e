/** The `keel` command line. */
import { Command } from "commander";
import { registerCredentialsCommands } from "./credentials-commands.ts";
import { registerMemoryCommands } from "./memory-commands.ts";
import { registerModelsCommands } from "./models-commands.ts";
import { registerApprovalCommands } from "./approval-commands.ts";
import { registerRunCommands } from "./run-commands.ts";
import { registerStartCommand } from "./start-command.ts";

const program = new Command();
program
  .name("keel")
  .description("Keel: flows of models, memory, approvals and actions, run durably.")
  .version("0.1.0")
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) });

registerRunCommands(program);
registerApprovalCommands(program);
registerModelsCommands(program);
registerMemoryCommands(program);
registerCredentialsCommands(program);
registerStartCommand(program);

await program.parseAsync(process.argv);
