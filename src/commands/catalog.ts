// Every CLI command with its help: synopsis, what it does, its options and the environment it reads.
// `alertpipe --help`, `alertpipe help CMD` and `alertpipe CMD --help` all print from here; the
// command's own module is loaded only when it runs.
import { CONFIG_OPTION_HELP } from "./config-args.ts";
import { type EnvScope, envRows } from "./env-vars.ts";

export interface CommandModule {
  main(args: string[]): Promise<number>;
}

export interface CommandSpec {
  readonly name: string;
  /** After `alertpipe `: `run [FILE] [--config FILE]…`. */
  readonly synopsis: readonly string[];
  /** One line, for the command list. */
  readonly summary: string;
  readonly description: string;
  readonly options: ReadonlyArray<readonly [string, string]>;
  /** Which variables it reads (listed in its help). */
  readonly env: readonly EnvScope[];
  /** What its Environment section says before the list. */
  readonly envNote?: string;
  readonly load: () => Promise<CommandModule>;
}

const HELP_OPTION = ["-h, --help", "this text"] as const;
const CLIENT_OPTIONS: ReadonlyArray<readonly [string, string]> = [
  ["--url URL", "the collector's API (default http://$ALERTPIPE_STATUS_ENDPOINT)"],
  ["--token-file PATH", "bearer token for mutating calls (default $ALERTPIPE_STATUS_TOKEN)"],
  [
    "--config FILE, --set KEY=VALUE",
    "read the endpoint and token from a pipeline.yaml instead (service.status.endpoint, service.status.auth.token), merged as run merges them",
  ],
  ["--json", "print the API's JSON"],
];
const ENV_REFERENCE = "$" + "{env:}"; // the text `${env:}`, not a template
const PIPELINE_ENV = `through the pipeline.yaml's ${ENV_REFERENCE} references (the shipped one's):`;

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "run",
    synopsis: ["run [FILE] [--config FILE]... [--set KEY=VALUE]..."],
    summary: "run the collector",
    description:
      "Runs the collector: OTLP/HTTP in, alerts to Slack and exceptions to Sentry out, the status endpoint and Alertmanager API served. SIGINT/SIGTERM flush held alerts and pending deliveries, then exit 0. A bad config or a taken port exits 2 with one line per problem (file:line key).",
    options: CONFIG_OPTION_HELP,
    env: ["pipeline", "collector"],
    envNote: PIPELINE_ENV,
    load: () => import("./run.ts"),
  },
  {
    name: "validate",
    synopsis: ["validate [FILE] [--config FILE]... [--set KEY=VALUE]..."],
    summary: "check a pipeline.yaml; exit 0 when valid, 2 with one line per problem",
    description:
      "Loads the config as run would (files merged, --set applied, env substituted, every component's schema and checks) without starting anything. Exit 0 when valid; 2 with one line per problem: file:line:column, key path, what is wrong and the variable a value came from.",
    options: CONFIG_OPTION_HELP,
    env: ["pipeline"],
    envNote: PIPELINE_ENV,
    load: () => import("./validate.ts"),
  },
  {
    name: "schema",
    synopsis: ["schema"],
    summary: "print the JSON Schema of pipeline.yaml (for editor completion)",
    description:
      "Prints the JSON Schema of pipeline.yaml (the package's pipeline.schema.json): every component's keys with their units and defaults, for the YAML language server.",
    options: [],
    env: [],
    load: () => import("./schema.ts"),
  },
  {
    name: "test-alert",
    synopsis: ["test-alert [FILE] [--config FILE]... [--set KEY=VALUE]..."],
    summary: "send one info message through each configured destination and report",
    description:
      "Sends one info message through each configured destination (Slack, Sentry, custom exporters that can probe) and says per destination whether it worked, and why not. Exit 0 when all worked, 1 when one failed or none is configured, 2 on a bad config.",
    options: CONFIG_OPTION_HELP,
    env: ["pipeline"],
    envNote: PIPELINE_ENV,
    load: () => import("./test-alert.ts"),
  },
  {
    name: "test",
    synopsis: ["test rules FILE... [--config FILE]... [--set KEY=VALUE]..."],
    summary: "run rule unit tests (promtool's format); exit 0 pass, 1 fail, 2 malformed",
    description:
      "Runs rule test files (promtool's test format, plus notice_test) against the pipeline.yaml each names, in virtual time. --config replaces the files' `pipeline:` (several merge), --set overrides keys of it. Exit 0 when every test passes, 1 when one fails, 2 when a file is malformed.",
    options: CONFIG_OPTION_HELP,
    env: [],
    envNote: "none: a test's pipeline sees only its file's `env:`.",
    load: () => import("../rules-test/command.ts"),
  },
  {
    name: "replay",
    synopsis: [
      "replay FILE... [--config FILE]... [--set KEY=VALUE]... [--output text|json] [--from T] [--to T]",
    ],
    summary: "what a pipeline.yaml would have sent for captured OTLP JSON lines",
    description:
      "Feeds captured OTLP JSON lines (the otlp receiver's capture, or an OpenTelemetry Collector file exporter's output) through the pipeline in virtual time, driven by the points' own timestamps, and prints every notice it would have sent, then a summary per rule. Nothing is sent.",
    options: [
      ...CONFIG_OPTION_HELP,
      ["-o, --output FMT", "text (default) or json: one JSON object per notice per line (summary on stderr)"],
      ["--from T", "only requests at or after T (RFC 3339, e.g. 2025-01-01T00:00:00Z)"],
      ["--to T", "only requests up to T; the clock runs on to T"],
    ],
    env: ["pipeline"],
    envNote: PIPELINE_ENV,
    load: () => import("../replay/command.ts"),
  },
  {
    name: "silence",
    synopsis: [
      "silence add [ALERTNAME] [MATCHER...] [--duration 1h | --end T] [--start T] --comment TEXT [--author NAME]",
      "silence list [MATCHER...] [--expired] [--quiet]",
      "silence expire ID...",
    ],
    summary: "add, list or expire silences of the running collector",
    description:
      "A client of the running collector's Alertmanager API. Matchers: name=value, name!=value, name=~regex, name!~regex (OTel names like service.name work too); a first argument that is no matcher names the alert. Durations: 90s, 30m, 1h30m, 2d.",
    options: [
      ["-d, --duration D", "how long from its start (default 1h)"],
      ["--start T, --end T", "RFC 3339 times instead"],
      ["-c, --comment TEXT", "why (required for add)"],
      ["-a, --author NAME", "who (default the user name)"],
      ["--expired", "list expired silences instead of active and pending ones"],
      ["-q, --quiet", "list ids only"],
      ...CLIENT_OPTIONS,
    ],
    env: ["client"],
    load: () => import("./silence.ts"),
  },
  {
    name: "alerts",
    synopsis: ["alerts [MATCHER...] [--silenced | --all] [--json]"],
    summary: "list the running collector's firing alerts",
    description:
      "Lists the running collector's firing alerts (default: active ones, not silenced). Matchers: name=value, name!=value, name=~re, name!~re.",
    options: [
      ["-s, --silenced", "only the silenced ones"],
      ["-a, --all", "every firing alert with its state"],
      ...CLIENT_OPTIONS,
    ],
    env: ["client"],
    load: () => import("./alerts.ts"),
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

const WIDTH = 100;

/** `alertpipe CMD --help`. */
export function helpText(name: string): string {
  const command = findCommand(name);
  if (!command) return overviewText();
  const lines = [
    `Usage: ${command.synopsis.map((s, i) => `${i === 0 ? "" : "       "}alertpipe ${s}`).join("\n")}`,
    "",
    wrap(command.description, 0),
  ];
  lines.push("", "Options:", table([...command.options, HELP_OPTION], 28));
  if (command.env.length > 0 || command.envNote) {
    lines.push("", `Environment${command.envNote ? `, ${command.envNote}` : ":"}`);
    if (command.env.length > 0) lines.push(table(envRows(command.env), 36));
  }
  return lines.join("\n");
}

/** `alertpipe --help`. */
export function overviewText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    "Usage: alertpipe <command> [options]",
    "",
    "An OpenTelemetry Collector-style alert pipeline: OTLP in; threshold and spike rules, cooldown,",
    "throttle, escalation; Slack and Sentry out. `alertpipe help COMMAND` for a command's options.",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    `  ${"help".padEnd(width)}help COMMAND: a command's usage, options and environment`,
    "",
    "Options:",
    table(
      [
        ["-h, --help", "this text"],
        ["-v, --version", "the version"],
      ],
      28,
    ),
    "",
    `Environment (the shipped pipeline.yaml reads the first ones through ${ENV_REFERENCE}):`,
    table(envRows(["pipeline", "collector", "client", "register"]), 36),
  ].join("\n");
}

/** Two columns, the second wrapped; a first cell wider than `max` puts the text on the next line. */
function table(rows: ReadonlyArray<readonly [string, string]>, max: number): string {
  const width = Math.min(max, Math.max(...rows.map(([flag]) => flag.length)) + 2);
  return rows
    .map(([flag, text]) => {
      const head = `  ${flag}`;
      const indent = width + 2;
      const first = head.length + 2 > indent ? `${head}\n${" ".repeat(indent)}` : head.padEnd(indent);
      return `${first}${wrap(text, indent)}`;
    })
    .join("\n");
}

/** Words wrapped at WIDTH, continuation lines indented by `indent`. */
function wrap(text: string, indent: number): string {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && indent + line.length + 1 + word.length > WIDTH) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.join(`\n${" ".repeat(indent)}`);
}
