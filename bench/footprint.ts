// Footprint of a production install: `npm pack`, the tarball installed with --omit=dev into an empty
// app (size of its node_modules, package count), then start-up times from that install against a bare
// `node -e 0`: `import "alertpipe"`, `--import alertpipe/register` disabled and enabled. Medians of
// N runs (wall clock and the child's own CPU time, which a shared machine disturbs less).
// Writes bench/results/footprint.json. Run: node bench/footprint.ts
// FOOTPRINT_SOURCE=DIR measures another checkout (e.g. main, for a before/after), FOOTPRINT_RUNS=N,
// FOOTPRINT_OUT=FILE.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const RESULTS = join(repo, "bench", "results", "footprint.json");
const NODE = process.execPath;

// Preloaded into every measured process (bare included): reports the child's CPU time at exit.
const CPU_PRELOAD = `data:text/javascript,${encodeURIComponent(
  'process.on("exit", () => { const u = process.cpuUsage(); process.getBuiltinModule("node:fs").writeSync(2, "\\nFOOTPRINT_CPU " + (u.user + u.system) / 1000 + "\\n"); });',
)}`;

interface Timing {
  readonly wall_ms_median: number;
  readonly wall_ms_min: number;
  readonly cpu_ms_median: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const round = (x: number) => Math.round(x * 10) / 10;

function du(path: string): number {
  return Number(execFileSync("du", ["-sk", path], { encoding: "utf8" }).split("\t")[0]) * 1024;
}

/** Packs the source checkout and installs the tarball with --omit=dev into a fresh app directory. */
function install(source: string, work: string): { app: string; tarballBytes: number } {
  // Built first, then packed without scripts: a build step's own output would corrupt `--json`.
  execFileSync("npm", ["run", "build"], { cwd: source, stdio: ["ignore", "ignore", "inherit"] });
  const packed = JSON.parse(
    execFileSync(
      "npm",
      ["pack", "--json", "--ignore-scripts", "--loglevel=error", "--pack-destination", work],
      {
        cwd: source,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
      },
    ),
  ) as { filename: string; size: number }[];
  const tarball = join(work, packed[0]?.filename ?? "");
  const app = join(work, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), `${JSON.stringify({ name: "footprint-app", private: true })}\n`);
  execFileSync("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error", tarball], {
    cwd: app,
    stdio: ["ignore", "ignore", "inherit"],
  });
  return { app, tarballBytes: packed[0]?.size ?? 0 };
}

function packageCount(app: string): number {
  const out = spawnSync("npm", ["ls", "--all", "--omit=dev", "--parseable"], { cwd: app, encoding: "utf8" });
  return out.stdout.split("\n").filter(Boolean).length - 1;
}

/** OTel packages installed in more than one version (none, when the tree is coherent). */
function duplicatedOtelPackages(app: string): string[] {
  const out = spawnSync(
    "find",
    [
      "node_modules",
      "-path",
      "*/@opentelemetry/*/package.json",
      "-not",
      "-path",
      "*/dist/*",
      "-not",
      "-path",
      "*/build/*",
    ],
    { cwd: app, encoding: "utf8" },
  );
  const versions = new Map<string, Set<string>>();
  for (const file of out.stdout.split("\n").filter(Boolean)) {
    const pkg = JSON.parse(readFileSync(join(app, file), "utf8")) as { name?: string; version?: string };
    if (!pkg.name?.startsWith("@opentelemetry/") || !pkg.version) continue;
    versions.set(pkg.name, (versions.get(pkg.name) ?? new Set()).add(pkg.version));
  }
  return [...versions].filter(([, v]) => v.size > 1).map(([name, v]) => `${name}@${[...v].join(",")}`);
}

interface Case {
  readonly args: string[];
  readonly env?: Record<string, string>;
}

function once(app: string, c: Case): { wall: number; cpu: number } {
  const started = process.hrtime.bigint();
  const result = spawnSync(NODE, ["--import", CPU_PRELOAD, ...c.args], {
    cwd: app,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...c.env },
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = /FOOTPRINT_CPU ([\d.]+)/.exec(result.stderr)?.[1];
  if (result.status !== 0 || cpu === undefined) {
    throw new Error(`${c.args.join(" ")} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  }
  return { wall, cpu: Number(cpu) };
}

/** Runs the cases interleaved (one of each per round), so load changes hit every case alike. */
function time(app: string, cases: Record<string, Case>, runs: number): Record<string, Timing> {
  const samples = Object.fromEntries(
    Object.keys(cases).map((k) => [k, { wall: [] as number[], cpu: [] as number[] }]),
  );
  for (const c of Object.values(cases)) once(app, c); // warm the file cache
  for (let i = 0; i < runs; i++) {
    for (const [name, c] of Object.entries(cases)) {
      const { wall, cpu } = once(app, c);
      samples[name]?.wall.push(wall);
      samples[name]?.cpu.push(cpu);
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, s]) => [
      name,
      {
        wall_ms_median: round(median(s.wall)),
        wall_ms_min: round(Math.min(...s.wall)),
        cpu_ms_median: round(median(s.cpu)),
      },
    ]),
  );
}

export async function run(): Promise<Record<string, unknown>> {
  const source = resolve(process.env.FOOTPRINT_SOURCE ?? repo);
  const runs = Number(process.env.FOOTPRINT_RUNS ?? 15);
  const work = mkdtempSync(join(tmpdir(), "alertpipe-footprint-"));
  try {
    const { app, tarballBytes } = install(source, work);
    const installBytes = du(join(app, "node_modules"));
    const timings = time(
      app,
      {
        bare: { args: ["-e", "0"] },
        import_alertpipe: { args: ["--input-type=module", "-e", 'await import("alertpipe")'] },
        register_disabled: {
          args: ["--import", "alertpipe/register", "-e", "0"],
          env: { ALERTPIPE_DISABLED: "true" },
        },
        register_enabled: { args: ["--import", "alertpipe/register", "-e", "0"] },
      },
      runs,
    );
    const over = (name: string) => ({
      wall_ms: round((timings[name]?.wall_ms_median ?? 0) - (timings.bare?.wall_ms_median ?? 0)),
      cpu_ms: round((timings[name]?.cpu_ms_median ?? 0) - (timings.bare?.cpu_ms_median ?? 0)),
    });
    const result = {
      benchmark: "footprint",
      source: source === repo ? "this checkout" : source,
      node: process.version,
      cpus: cpus().length,
      runs,
      tarball_bytes: tarballBytes,
      install_mib: round(installBytes / 2 ** 20),
      install_packages: packageCount(app),
      otel_packages_in_several_versions: duplicatedOtelPackages(app),
      timings,
      over_bare_start: {
        import_alertpipe: over("import_alertpipe"),
        register_disabled: over("register_disabled"),
        register_enabled: over("register_enabled"),
      },
    };
    const out = process.env.FOOTPRINT_OUT ? resolve(process.env.FOOTPRINT_OUT) : RESULTS;
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\nwrote ${out}\n`);
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await run();
}
