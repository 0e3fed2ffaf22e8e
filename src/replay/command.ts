// `alertpipe replay FILE... [--config pipeline.yaml] [--output text|json] [--from T] [--to T]`:
// what the pipeline would have sent for captured OTLP JSON lines, then a summary per rule.
import { access } from "node:fs/promises";
import { parseArgs } from "node:util";
import { ConfigError, formatProblem } from "../config/errors.ts";
import { createLogger } from "../log.ts";
import { redactSecrets } from "../secrets.ts";
import { loadConfig, resolveConfigPath } from "../service.ts";
import { noticeJson, noticeText, summaryText } from "./report.ts";
import { replay } from "./run.ts";

const USAGE = `Usage: alertpipe replay FILE... [--config pipeline.yaml] [--output text|json] [--from T] [--to T]

Feeds captured OTLP JSON lines (the otlp receiver's capture, or an OpenTelemetry Collector file
exporter's output) through the pipeline in virtual time, driven by the points' own timestamps,
and prints every notice it would have sent, then a summary per rule. Nothing is sent.

  -c, --config FILE   the pipeline.yaml (default ./pipeline.yaml, else the embedded default)
  -o, --output FMT    text (default) or json: one JSON object per notice per line (summary on stderr)
      --from T        only requests at or after T (RFC 3339, e.g. 2025-01-01T00:00:00Z)
      --to T          only requests up to T; the clock runs on to T`;

const EXIT_USAGE = 2;

function usage(message: string): number {
  process.stderr.write(`alertpipe replay: ${message}\n\n${USAGE}\n`);
  return EXIT_USAGE;
}

/** RFC 3339 / ISO 8601 with a zone, or milliseconds since the epoch. */
function parseTime(text: string | undefined): number | undefined | "invalid" {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(text)) return "invalid";
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? "invalid" : ms;
}

export async function main(args: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    return usage((err as Error).message);
  }
  const { positionals: files, values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (files.length === 0) return usage("give at least one capture file");
  const output = values.output ?? "text";
  if (output !== "text" && output !== "json") return usage(`--output must be text or json, got "${output}"`);
  const from = parseTime(values.from);
  const to = parseTime(values.to);
  if (from === "invalid") return usage(`--from: "${values.from}" is not a time (e.g. 2025-01-01T00:00:00Z)`);
  if (to === "invalid") return usage(`--to: "${values.to}" is not a time (e.g. 2025-01-02T00:00:00Z)`);
  if (from !== undefined && to !== undefined && to < from) return usage("--to is before --from");
  for (const file of files) {
    try {
      await access(file);
    } catch {
      return usage(`${file}: no such file`);
    }
  }
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig({ configPath: resolveConfigPath(values.config) });
  } catch (err) {
    const lines = err instanceof ConfigError ? err.problems.map(formatProblem) : [(err as Error).message];
    for (const line of lines) process.stderr.write(`${redactSecrets(line)}\n`);
    return EXIT_USAGE;
  }
  const result = await replay({
    files,
    config,
    env: process.env,
    from,
    to,
    logger: createLogger({ level: "warn" }),
    onSkipped: (s) => process.stderr.write(`${s.file}:${s.line}: skipped: ${s.reason}\n`),
  });
  const out = process.stdout;
  // `alertpipe replay … | head`: a reader that stops early is not an error.
  out.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(0);
  });
  for (const n of result.notices) {
    out.write(`${redactSecrets(output === "json" ? JSON.stringify(noticeJson(n)) : noticeText(n))}\n`);
  }
  const summary = redactSecrets(summaryText(result));
  if (output === "json") process.stderr.write(`${summary}\n`);
  else out.write(`${result.notices.length > 0 ? "\n" : ""}${summary}\n`);
  return 0;
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string", short: "c" },
      output: { type: "string", short: "o" },
      from: { type: "string" },
      to: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
