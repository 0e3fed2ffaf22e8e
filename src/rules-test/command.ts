// `alertpipe test rules FILE... [--config FILE]... [--set K=V]...`: unit tests for a pipeline.yaml,
// promtool-style. Prints SUCCESS or each failure; exit 0 (all pass), 1 (a test failed), 2 (a file is
// malformed or unreadable).
import { parseCommandArgs, strings, usageError } from "../commands/args.ts";
import { CONFIG_OPTIONS } from "../commands/config-args.ts";
import { formatProblem } from "../config/errors.ts";
import { createLogger } from "../log.ts";
import { Registry } from "../registry.ts";
import { redactSecrets } from "../secrets.ts";
import { readRuleTestFile } from "./file.ts";
import { runRuleTestFile } from "./run.ts";

const EXIT_FAILED = 1;
const EXIT_MALFORMED = 2;

export async function main(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs("test", args, CONFIG_OPTIONS);
  if ("code" in parsed) return parsed.code;
  const [what, ...files] = parsed.positionals;
  if (what !== "rules")
    return usageError(
      "test",
      what ? `unknown test kind "${what}" (test rules)` : "test what? (test rules FILE...)",
    ).code;
  if (files.length === 0) return usageError("test", "give at least one rule test file").code;
  // --config replaces each file's `pipeline:`; --set overrides keys of whichever pipeline it runs.
  const configs = strings(parsed.values.config);
  const pipeline = { configs, sets: strings(parsed.values.set) };
  const registry = new Registry();
  const logger = createLogger({ level: "warn" });
  let exit = 0;
  for (const path of files) {
    const out: string[] = [`Unit Testing: ${path}`];
    const read = await readRuleTestFile(path);
    const outcome = read.ok ? await runRuleTestFile(read.file, { registry, logger, pipeline }) : read;
    if (!outcome.ok) {
      out.push("  FAILED (malformed):");
      for (const p of outcome.problems) out.push(`    ${formatProblem(p)}`);
      exit = Math.max(exit, EXIT_MALFORMED);
    } else {
      const failed = outcome.results.filter((r) => r.failures.length > 0);
      if (failed.length === 0) out.push("  SUCCESS");
      else {
        out.push("  FAILED:");
        for (const result of failed) {
          for (const f of result.failures) {
            out.push(`    ${result.name}: ${f.title}`);
            for (const line of f.lines) out.push(`        ${line}`);
          }
        }
        exit = Math.max(exit, EXIT_FAILED);
      }
    }
    process.stdout.write(`${redactSecrets(out.join("\n"))}\n\n`);
  }
  return exit;
}
