#!/usr/bin/env node
// alertpipe CLI entry. Static imports are hoisted, so the commands (which need Node 22: node:sqlite,
// require(esm)) load only after the version check; an older Node gets one clear line, exit 2.
const MINIMUM = { major: 22, minor: 12 };

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < MINIMUM.major || (major === MINIMUM.major && minor < MINIMUM.minor)) {
  process.stderr.write(
    `alertpipe: needs Node.js ≥ ${MINIMUM.major}.${MINIMUM.minor}, found ${process.version}\n`,
  );
  process.exitCode = 2;
} else {
  await import("./cli-main.ts");
}
