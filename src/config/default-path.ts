// Which pipeline.yaml a command reads when none is named: ./pipeline.yaml, else the package's own.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { packageFile } from "../package-files.ts";

/** The pipeline.yaml shipped with the package (the seed's eight alerts). */
export const DEFAULT_CONFIG_PATH = packageFile("pipeline.yaml");

export function resolveConfigPath(explicit?: string, cwd = process.cwd()): string {
  if (explicit) return resolve(cwd, explicit);
  const local = resolve(cwd, "pipeline.yaml");
  return existsSync(local) ? local : DEFAULT_CONFIG_PATH;
}
