/** `keel start`: the server, the websocket and the editor, until Ctrl+C. */
import type { Command } from "commander";
import { ValidationError } from "../../runtime/errors.ts";
import { DEFAULT_HOST, DEFAULT_PORT, startServer } from "../start.ts";
import { command, dataDirOf } from "./common.ts";

export function registerStartCommand(program: Command): void {
  program
    .command("start")
    .description(`start the Keel server and editor (http://${DEFAULT_HOST}:${DEFAULT_PORT} by default)`)
    .option("--port <port>", `port to listen on (0 picks a free one)`, String(DEFAULT_PORT))
    .option("--host <address>", "address to listen on", DEFAULT_HOST)
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .option("--name <host...>", "extra host names the server may be reached by (e.g. behind a reverse proxy)")
    .option("--no-build", "do not build the editor, even when editor/dist is missing or stale")
    .action(
      command(async (opts: { port: string; host: string; data?: string; name?: string[]; build: boolean }) => {
        if (!/^\d+$/.test(opts.port) || Number(opts.port) > 65535) throw new ValidationError(`--port must be a number from 0 to 65535, got ${JSON.stringify(opts.port)}`);
        const log = (line: string) => process.stderr.write(`${line}\n`);
        const running = await startServer({
          dataDir: dataDirOf(opts),
          port: Number(opts.port),
          host: opts.host,
          names: opts.name,
          buildEditor: opts.build,
          log,
        });
        const where = running.tokenSource === "env" ? "from KEEL_TOKEN" : `saved in ${running.keel.dataDir}/token`;
        process.stdout.write(`Keel is running at ${running.url}\nAccess token: ${running.token} (${where})\nPress Ctrl+C to stop.\n`);

        await new Promise<void>((resolve) => {
          const stop = (signal: NodeJS.Signals) => {
            log(`keel: ${signal}: stopping…`);
            process.off("SIGINT", stop).off("SIGTERM", stop);
            // a second signal while closing ends the process at once
            process.once("SIGINT", () => process.exit(130)).once("SIGTERM", () => process.exit(143));
            const force = setTimeout(() => {
              log("keel: still closing after 10 s; exiting anyway");
              process.exit(1);
            }, 10_000);
            force.unref();
            running.close().then(
              () => {
                log("keel: stopped");
                resolve();
              },
              (e) => {
                log(`keel: error while stopping: ${(e as Error).message}`);
                process.exitCode = 1;
                resolve();
              },
            );
          };
          process.on("SIGINT", stop).on("SIGTERM", stop);
        });
      }),
    );
}
