// External programs the end-to-end suites drive (prometheus, amtool): found on PATH, or a loud
// failure under CI=true (.ci/run installs them), or a skip on a developer machine without them.
import { spawnSync } from "node:child_process";

export function findBinary(name: string): string | undefined {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : undefined;
}

/** The binary's path; throws under CI=true when it is missing, else undefined (the suite skips). */
export function requireBinary(name: string, debianPackage: string): string | undefined {
  const path = findBinary(name);
  if (!path && process.env.CI === "true") {
    throw new Error(
      `CI=true but ${name} is not installed: apt-get install -y ${debianPackage} (.ci/run does)`,
    );
  }
  return path;
}
