// `alertpipe test rules FILE...`: unit tests for a pipeline.yaml, promtool-style. Prints SUCCESS
// or each failure; exit 0 (all pass), 1 (a test failed), 2 (a file is malformed or unreadable).
import { parseArgs } from "node:util";
import { formatProblem } from "../config/errors.ts";
import { createLogger } from "../log.ts";
import { Registry } from "../registry.ts";
import { redactSecrets } from "../secrets.ts";
import { readRuleTestFile } from "./file.ts";
import { runRuleTestFile } from "./run.ts";

const USAGE = `Usage: alertpipe test rules FILE...

Runs rule test files (promtool's test format, plus notice_test) against the pipeline.yaml each
names, in virtual time. Exit 0 when every test passes, 1 when one fails, 2 when a file is malformed.`;

const EXIT_FAILED = 1;
const EXIT_MALFORMED = 2;

export async function main(args: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  const [what, ...files] = positionals;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (what !== "rules" || files.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return EXIT_MALFORMED;
  }
  const registry = new Registry();
  const logger = createLogger({ level: "warn" });
  let exit = 0;
  for (const path of files) {
    const out: string[] = [`Unit Testing: ${path}`];
    const read = await readRuleTestFile(path);
    const outcome = read.ok ? await runRuleTestFile(read.file, { registry, logger }) : read;
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
