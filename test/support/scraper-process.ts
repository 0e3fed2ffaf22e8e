// Running a fixture scraper in its own Node process, as users do (`node --import alertpipe/register
// scraper.js`), against the local PostgreSQL: the process's exit, output and the signals file it wrote.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import pg from "pg";
import type { Item } from "../../src/signal.ts";

export const repo = resolve(import.meta.dirname, "../..");
export const fixture = join(repo, "test/fixtures/scraper");
export const nodeBin = join(repo, "node_modules/.bin/node");
export const pgUser = process.env.PGUSER ?? "postgres";

async function postgresReachable(): Promise<string | undefined> {
  const client = new pg.Client({ host: "127.0.0.1", port: 5432, user: pgUser, database: "test" });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why PostgreSQL is unusable (undefined when fine); under CI=true its absence throws instead. */
export async function postgresProblem(): Promise<string | undefined> {
  const problem = await postgresReachable();
  if (problem && process.env.CI === "true") {
    throw new Error(
      `PostgreSQL at 127.0.0.1:5432 (user ${pgUser}, database test) is unreachable: ${problem}`,
    );
  }
  return problem;
}

export function listen(server: Server): Promise<number> {
  return new Promise((done) =>
    server.listen(0, "127.0.0.1", () => done((server.address() as AddressInfo).port)),
  );
}

export function readSignals(file: string): Item[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Item);
}

export interface ScraperRun {
  code: number | null;
  stdout: string;
  stderr: string;
  items: Item[];
}

/** `node --conditions=source --import alertpipe/register <script>`; items from SIGNALS_FILE. */
export function runScraper(
  script: string,
  env: Record<string, string>,
  signalsFile: string,
): Promise<ScraperRun> {
  return new Promise((done, fail) => {
    const child = spawn(
      nodeBin,
      ["--conditions=source", "--import", "alertpipe/register", join(fixture, script)],
      {
        cwd: repo,
        env: { ...process.env, PGUSER: pgUser, ...env, SIGNALS_FILE: signalsFile },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const killer = setTimeout(() => child.kill("SIGKILL"), 25_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(killer);
      done({ code, stdout, stderr, items: readSignals(signalsFile) });
    });
  });
}

export interface RecordedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** An HTTP server answering 200 to everything, recording each request (an OTLP sink, a webhook). */
export async function startRecorder(
  reply: (request: RecordedRequest) => { type: string; body: string } = () => ({
    type: "text/plain",
    body: "ok",
  }),
): Promise<{ url: string; requests: RecordedRequest[]; close(): Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const request = { path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(request);
      const { type, body } = reply(request);
      res.writeHead(200, { "content-type": type }).end(body);
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
