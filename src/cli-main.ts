// alertpipe CLI commands: run | validate | schema | test-alert | test rules | replay | silence | alerts
// (loaded by cli.ts once Node is new enough).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, formatProblem } from "./config/errors.ts";
import { pipelineSchemaText } from "./config/json-schema.ts";
import { loadConfigFile } from "./config/load.ts";
import { packageFile } from "./package-files.ts";
import { Registry } from "./registry.ts";
import { redactSecrets } from "./secrets.ts";
import { resolveConfigPath, startAlertPipeline } from "./service.ts";
import { DEFAULT_RUN_STATE_SPEC } from "./state/open.ts";

// node:sqlite (the default state store) still prints an ExperimentalWarning on Node 22; it is expected here.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(warning).includes("SQLite is an experimental feature")) return;
  (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

const USAGE = `Usage: alertpipe <command> [pipeline.yaml]

Commands:
  run [file]         run the collector (default file: ./pipeline.yaml, else the embedded default)
  validate [file]    check a pipeline.yaml; exit 0 when valid, 2 with one line per problem
  schema             print the JSON Schema of pipeline.yaml (for editor completion)
  test-alert [file]  send one info message through each configured destination and report
  test rules FILE... run rule unit tests (promtool's format); exit 0 pass, 1 fail, 2 malformed
  replay FILE...     what a pipeline.yaml would have sent for captured OTLP JSON lines
                     [--config pipeline.yaml] [--output text|json] [--from T] [--to T]
  silence add|list|expire   manage silences of the running collector (see alertpipe silence -h)
  alerts [matcher...]       list the running collector's firing alerts (--silenced, --all)

Options:
  -h, --help         this text
  -v, --version      the version`;

const EXIT_USAGE = 2;

/** Commands with their own options and arguments: each module parses the rest of the line. */
const SUBCOMMANDS: Readonly<Record<string, () => Promise<{ main(args: string[]): Promise<number> }>>> = {
  test: () => import("./rules-test/command.ts"),
  replay: () => import("./replay/command.ts"),
  // Thin clients of the running collector's API.
  silence: () => import("./commands/silence.ts"),
  alerts: () => import("./commands/alerts.ts"),
};

async function main(argv: string[]): Promise<number> {
  const subcommand = SUBCOMMANDS[argv[0] ?? ""];
  if (subcommand) return (await subcommand()).main(argv.slice(1));
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" }, version: { type: "boolean", short: "v" } },
    strict: true,
  });
  const [command, file, ...extra] = positionals;
  if (values.version) {
    const pkg = JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as {
      version: string;
    };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : EXIT_USAGE;
  }
  if (extra.length > 0) return fail(`unexpected arguments: ${extra.join(" ")}`);
  switch (command) {
    case "run":
      return run(file);
    case "validate":
      return validate(file);
    case "schema":
      process.stdout.write(pipelineSchemaText(new Registry()));
      return 0;
    case "test-alert":
      return (await import("./test-alert.ts")).testAlert(file);
    default:
      return fail(`unknown command "${command}"\n${USAGE}`);
  }
}

async function validate(file: string | undefined): Promise<number> {
  const path = resolveConfigPath(file);
  const result = await loadConfigFile(path, { env: process.env, registry: new Registry() });
  if (!result.ok) {
    for (const problem of result.problems) process.stderr.write(`${redactSecrets(formatProblem(problem))}\n`);
    return EXIT_USAGE;
  }
  const { pipelines, components } = result.config;
  process.stdout.write(`${path}: valid (${pipelines.length} pipeline(s), ${components.size} component(s))\n`);
  return 0;
}

async function run(file: string | undefined): Promise<number> {
  let handle: Awaited<ReturnType<typeof startAlertPipeline>>;
  try {
    handle = await startAlertPipeline({
      configPath: resolveConfigPath(file),
      defaultState: DEFAULT_RUN_STATE_SPEC,
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const problem of err.problems) process.stderr.write(`${redactSecrets(formatProblem(problem))}\n`);
      return EXIT_USAGE;
    }
    return fail((err as Error).message);
  }
  const { logger, config } = handle;
  // Bound addresses (port 0 picks a free one), so people and tests can find the listeners.
  const endpoints: Record<string, unknown> = {};
  for (const r of handle.graph.receivers) {
    const endpoint = r.instance.status?.().endpoint;
    if (endpoint !== undefined) endpoints[r.id] = endpoint;
  }
  const status = handle.statusAddress();
  if (status) endpoints.status = `${status.host}:${status.port}`;
  logger.info(
    { config: config.file, pipelines: config.pipelines.map((p) => p.name), endpoints },
    "alertpipe running",
  );
  return new Promise<number>((resolveExit) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down: flushing exporters");
      handle.shutdown().then(
        () => resolveExit(0),
        (err: unknown) => {
          logger.error({ err: String(err) }, "shutdown failed");
          resolveExit(1);
        },
      );
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
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
