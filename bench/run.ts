// `npm run bench`: every benchmark in one run, one JSON document in bench/results/all.json.
// Each bench also writes its own file; run one alone with `node --expose-gc bench/<name>.ts`.
import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

const benches: Record<string, () => Promise<unknown>> = {
  "otlp-ingest": async () => (await import("./otlp-ingest.ts")).run(),
  processors: async () => (await import("./processors.ts")).run(),
  state: async () => (await import("./state.ts")).run(),
  "state-e2e": async () => (await import("./state-e2e.ts")).run(),
  storm: async () => (await import("./storm.ts")).run(),
  replay: async () => (await import("./replay.ts")).run(),
  anomaly: async () => (await import("./anomaly.ts")).run(),
  // Packs and installs the package, then times fresh processes: install size, import, register.
  footprint: async () => (await import("./footprint.ts")).run(),
  // A top-level script: run it in its own process and read what it wrote.
  inproc: async () => {
    execFileSync(process.execPath, [fileURLToPath(new URL("./inproc.ts", import.meta.url))], {
      stdio: "inherit",
    });
    return JSON.parse(await readFile(new URL("./results/inproc.json", import.meta.url), "utf8"));
  },
};

const only = process.argv.slice(2);
const results: Record<string, unknown> = {};
for (const [name, run] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`\n== ${name} ==\n`);
  const started = Date.now();
  try {
    results[name] = await run();
  } catch (err) {
    results[name] = { error: String(err) };
    process.exitCode = 1;
  }
  process.stdout.write(`(${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

const document = {
  at: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  memory_gib: Math.round(totalmem() / 2 ** 30),
  results,
};
await mkdir(new URL("./results/", import.meta.url), { recursive: true });
await writeFile(new URL("./results/all.json", import.meta.url), `${JSON.stringify(document, null, 2)}\n`);
process.stdout.write("\nwrote bench/results/all.json\n");
