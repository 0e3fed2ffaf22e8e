// `--config FILE` (repeatable) and `--set key::path=value` (repeatable), as every command that reads
// a pipeline.yaml takes them, the OpenTelemetry Collector's way: files merge in order, sets last.

import { resolveConfigPath } from "../config/default-path.ts";
import { type ConfigError, type ConfigProblem, formatProblem } from "../config/errors.ts";
import type { ConfigInputList } from "../config/load.ts";
import { redactSecrets } from "../secrets.ts";

export const CONFIG_OPTIONS = {
  config: { type: "string", short: "c", multiple: true },
  set: { type: "string", multiple: true },
} as const;

/** The same for the API clients, whose -c is --comment (as amtool's). */
export const CLIENT_CONFIG_OPTIONS = {
  config: { type: "string", multiple: true },
  set: { type: "string", multiple: true },
} as const;

/** The option lines of every command's help. */
export const CONFIG_OPTION_HELP: ReadonlyArray<readonly [string, string]> = [
  [
    "-c, --config FILE",
    "pipeline.yaml to read (default ./pipeline.yaml, else the embedded default); repeat to merge several, later ones overriding key by key (maps merge, lists are replaced); also file:PATH, env:VAR, yaml:processors::throttle::window: 60s",
  ],
  [
    "--set KEY=VALUE",
    "override one key after every file: processors::throttle::max_per_window=5 (or dotted, processors.throttle.max_per_window=5); the value is YAML ([a, b], {k: v}, 30s); repeatable",
  ],
];

type Values = {
  readonly config?: readonly string[] | undefined;
  readonly set?: readonly string[] | undefined;
};

/** The configs a command reads: positional file(s) first, then --config, else the default file. */
export function configInputs(values: Values, positional: readonly string[] = []): ConfigInputList {
  const given = [...positional, ...(values.config ?? [])];
  const configs = given.length > 0 ? given : [resolveConfigPath()];
  return { configs, sets: [...(values.set ?? [])] };
}

/** True when the user named a config (clients then read their endpoint from it). */
export function configGiven(values: Values): boolean {
  return (values.config?.length ?? 0) > 0 || (values.set?.length ?? 0) > 0;
}

/** One line per problem on stderr, secrets masked; the exit status of a bad config. */
export function printProblems(problems: readonly ConfigProblem[] | ConfigError): number {
  const list = "problems" in problems ? problems.problems : problems;
  for (const problem of list) process.stderr.write(`${redactSecrets(formatProblem(problem))}\n`);
  return 2;
}
