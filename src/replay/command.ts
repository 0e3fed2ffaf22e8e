// `alertpipe replay FILE... [--config FILE]... [--set K=V]... [--output text|json] [--from T] [--to T]`:
// what the pipeline would have sent for captured OTLP JSON lines, then a summary per rule.
import { access } from "node:fs/promises";
import { EXIT_USAGE, parseCommandArgs, strings, usageError } from "../commands/args.ts";
import { CONFIG_OPTIONS, configInputs, printProblems } from "../commands/config-args.ts";
import { ConfigError } from "../config/errors.ts";
import { createLogger } from "../log.ts";
import { redactSecrets } from "../secrets.ts";
import { loadConfig } from "../service.ts";
import { noticeJson, noticeText, summaryText } from "./report.ts";
import { replay } from "./run.ts";

function usage(message: string): number {
  return usageError("replay", message).code;
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
  const parsed = parseCommandArgs("replay", args, {
    ...CONFIG_OPTIONS,
    output: { type: "string", short: "o" },
    from: { type: "string" },
    to: { type: "string" },
  });
  if ("code" in parsed) return parsed.code;
  const { positionals: files } = parsed;
  const values = parsed.values as { output?: string; from?: string; to?: string };
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
    config = await loadConfig({
      configInputs: configInputs({ config: strings(parsed.values.config), set: strings(parsed.values.set) }),
    });
  } catch (err) {
    if (err instanceof ConfigError) return printProblems(err);
    process.stderr.write(`${redactSecrets((err as Error).message)}\n`);
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
