// Files shipped at the package root, found from source (src/) and from the build (dist/src/) alike.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export function packageFile(name: string): string {
  const fromSource = fileURLToPath(new URL(`../${name}`, import.meta.url));
  return existsSync(fromSource) ? fromSource : fileURLToPath(new URL(`../../${name}`, import.meta.url));
}

/** The package's version (package.json), or "unknown". */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}
