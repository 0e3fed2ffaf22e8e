// alertpipe CLI: dispatch to the command (src/commands/catalog.ts lists them with their help), each
// loaded only when it runs (loaded by cli.ts once Node is new enough).
import { readFileSync } from "node:fs";
import { findCommand, helpText, overviewText } from "./commands/catalog.ts";
import { packageFile } from "./package-files.ts";
import { redactSecrets } from "./secrets.ts";

// node:sqlite (the default state store) still prints an ExperimentalWarning on Node 22; it is expected here.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(warning).includes("SQLite is an experimental feature")) return;
  (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

const EXIT_USAGE = 2;

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    process.stdout.write(`${overviewText()}\n`);
    return EXIT_USAGE;
  }
  if (first === "-h" || first === "--help") {
    process.stdout.write(`${overviewText()}\n`);
    return 0;
  }
  if (first === "-v" || first === "--version") {
    const pkg = JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (first === "help") {
    const [name] = rest;
    if (name !== undefined && !findCommand(name)) return fail(`no command "${name}" (see alertpipe --help)`);
    process.stdout.write(`${name === undefined ? overviewText() : helpText(name)}\n`);
    return 0;
  }
  const command = findCommand(first);
  if (!command) return fail(`unknown command "${first}"\n\n${overviewText()}`);
  return (await command.load()).main(rest);
}

function fail(message: string): number {
  process.stderr.write(`alertpipe: ${redactSecrets(message)}\n`);
  return EXIT_USAGE;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Flush stdout before leaving; servers and timers are closed by now.
    if (code !== 0 || process.argv[2] !== "run") return;
    setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`alertpipe: ${redactSecrets(err instanceof Error ? err.message : String(err))}\n`);
    process.exitCode = EXIT_USAGE;
  },
);
