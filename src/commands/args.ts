// A command's arguments parsed strictly, its help on -h/--help (from the catalog), a usage error
// with the help on stderr (exit 2).
import { type ParseArgsConfig, parseArgs } from "node:util";
import { helpText } from "./catalog.ts";

export type ArgValues = Record<string, string | boolean | (string | boolean)[] | undefined>;
export type ParsedArgs = { values: ArgValues; positionals: string[] };

export const EXIT_USAGE = 2;

export function parseCommandArgs(
  name: string,
  args: readonly string[],
  options: NonNullable<ParseArgsConfig["options"]>,
): ParsedArgs | { code: number } {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: { ...options, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    return usageError(name, (err as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(`${helpText(name)}\n`);
    return { code: 0 };
  }
  return parsed;
}

export function usageError(name: string, message: string): { code: number } {
  process.stderr.write(`alertpipe ${name}: ${message}\n\n${helpText(name)}\n`);
  return { code: EXIT_USAGE };
}

/** A repeatable string option's values (parseArgs gives an array when `multiple`). */
export function strings(value: ArgValues[string]): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
