// The deployment files, read for their essentials (no container engine runs in the tests): the
// Dockerfile builds in stages and runs the production install as a non-root user, listening on every
// interface through the env endpoints, with a health check on /-/ready and no secret baked in;
// compose.yaml runs two instances on one Redis; LICENSE matches package.json.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cleanEnv, REPO_ROOT, startCli } from "./support/cli.ts";

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Dockerfile instructions per stage (comments dropped, `\` continuations joined). */
function stages(text: string): Instruction[][] {
  const joined = text
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n")
    .replace(/\\\n\s*/g, " ");
  const out: Instruction[][] = [[]];
  for (const line of joined.split("\n")) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const instruction = { keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).trim() };
    if (instruction.keyword === "FROM") out.push([]);
    out.at(-1)?.push(instruction);
  }
  return out.filter((s) => s.some((i) => i.keyword === "FROM"));
}

const dockerfile = await readFile(join(REPO_ROOT, "Dockerfile"), "utf8");
const all = stages(dockerfile);
const runtime = all.at(-1) ?? [];
const args = (keyword: string, stage = runtime) =>
  stage.filter((i) => i.keyword === keyword).map((i) => i.args);
const SECRET_NAME = /SLACK_WEBHOOK|SENTRY_DSN|TOKEN|SECRET|PASSWORD|API_KEY|PRIVATE/i;

describe("Dockerfile", () => {
  it("builds in stages on node:22-slim and installs only the production dependencies of the built package", () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-slim$/m);
    for (const stage of all) expect(args("FROM", stage)[0]).toMatch(/^\$\{NODE_IMAGE\} AS \w+$/);
    expect(args("RUN", all[0])).toContainEqual(expect.stringMatching(/tsc -p tsconfig\.build\.json/));
    expect(args("RUN")).toContainEqual(expect.stringMatching(/^npm ci --omit=dev\b/));
    expect(args("COPY")).toContainEqual("--from=build /src/dist ./dist");
    expect(args("ENTRYPOINT")).toEqual(['["node", "/opt/alertpipe/dist/src/cli.js"]']);
    expect(args("CMD")).toEqual(['["run"]']);
  });

  it("runs as a non-root user, state on a volume that user owns", () => {
    const [user] = args("USER").slice(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const uid = (user as string).split(":")[0];
    expect(args("RUN")).toContainEqual(expect.stringContaining(`chown ${uid}:`));
    expect(args("VOLUME")).toEqual(['["/var/lib/alertpipe"]']);
    expect(args("ENV").join(" ")).toContain("ALERTPIPE_STATE=sqlite:/var/lib/alertpipe/state.db");
  });

  it("listens on 0.0.0.0 through the env endpoints and exposes 4318 and 13133", () => {
    const env = args("ENV").join(" ");
    expect(env).toContain("ALERTPIPE_OTLP_ENDPOINT=0.0.0.0:4318");
    expect(env).toContain("ALERTPIPE_STATUS_ENDPOINT=0.0.0.0:13133");
    expect(args("EXPOSE").join(" ").split(/\s+/).sort()).toEqual(["13133", "4318"]);
  });

  it("bakes in no secret, and the build context leaves local state and .env files out", async () => {
    for (const keyword of ["ENV", "ARG", "LABEL"]) {
      for (const stage of all)
        for (const text of args(keyword, stage)) expect(text, `${keyword} ${text}`).not.toMatch(SECRET_NAME);
    }
    expect(dockerfile).not.toMatch(/COPY[^\n]*\.env/);
    const ignore = (await readFile(join(REPO_ROOT, ".dockerignore"), "utf8")).split("\n");
    for (const entry of ["node_modules", ".git", ".alertpipe", ".env", "dist"])
      expect(ignore).toContain(entry);
  });

  describe("HEALTHCHECK", () => {
    const [check] = args("HEALTHCHECK");
    const command = JSON.parse((check ?? "").replace(/^.*?CMD\s+/, "")) as string[];
    let ready = 200;
    let server: Server;
    let port = 0;
    beforeAll(async () => {
      server = createServer((req, res) => {
        res.statusCode = req.url === "/-/ready" ? ready : 404;
        res.end();
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));
    // The image's command, run by this Node against a server standing in for the status endpoint
    // (asynchronously: the server answers from this process).
    const probe = (env: Record<string, string>) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, command.slice(1), {
          env: { ...env, PATH: process.env.PATH },
          stdio: "ignore",
        });
        child.once("exit", (code) => resolve(code));
      });

    it("asks /-/ready on the port ALERTPIPE_STATUS_ENDPOINT names, with limits", async () => {
      expect(check).toMatch(/^--interval=\d+s --timeout=\d+s --start-period=\d+s --retries=\d+\s+CMD \[/);
      expect(command[0]).toBe("node");
      ready = 200;
      expect(await probe({ ALERTPIPE_STATUS_ENDPOINT: `0.0.0.0:${port}` })).toBe(0);
      ready = 503;
      expect(await probe({ ALERTPIPE_STATUS_ENDPOINT: `0.0.0.0:${port}` })).toBe(1);
      expect(await probe({ ALERTPIPE_STATUS_ENDPOINT: "0.0.0.0:1" })).toBe(1);
    });

    it("passes against a running collector", async () => {
      const cli = startCli(["run"], cleanEnv());
      try {
        const [, status = ""] = await cli.waitFor(/"status":"(127\.0\.0\.1:\d+)"/);
        expect(await probe({ ALERTPIPE_STATUS_ENDPOINT: status })).toBe(0);
      } finally {
        expect(await cli.stop()).toBe(0);
      }
    });
  });
});

describe("compose.yaml", () => {
  type Service = {
    build?: unknown;
    image?: string;
    environment?: Record<string, string>;
    ports?: string[];
    depends_on?: Record<string, { condition: string }>;
    healthcheck?: unknown;
  };
  let services: Record<string, Service>;
  beforeAll(async () => {
    const text = await readFile(join(REPO_ROOT, "compose.yaml"), "utf8");
    services = (parse(text, { merge: true }) as { services: Record<string, Service> }).services;
  });

  it("runs two alertpipe instances sharing one Redis, each with its own stable name", () => {
    expect(services.redis?.image).toMatch(/^redis:/);
    expect(services.redis?.healthcheck).toBeDefined();
    const instances = Object.entries(services).filter(([, s]) => s.build !== undefined);
    expect(instances).toHaveLength(2);
    const ids = instances.map(([, s]) => s.environment?.ALERTPIPE_INSTANCE_ID);
    expect(new Set(ids).size).toBe(2);
    for (const [name, s] of instances) {
      expect(s.environment?.ALERTPIPE_STATE, name).toBe("redis://redis:6379/0");
      expect(s.depends_on?.redis?.condition, name).toBe("service_healthy");
      // The token comes from the environment, required; never written here.
      expect(s.environment?.ALERTPIPE_STATUS_TOKEN, name).toMatch(/^\$\{ALERTPIPE_STATUS_TOKEN:\?/);
      for (const [key, value] of Object.entries(s.environment ?? {}))
        if (SECRET_NAME.test(key)) expect(value, key).toMatch(/^\$\{[A-Z_]+(:[-?][^}]*)?\}$/);
    }
    const hostPorts = instances
      .flatMap(([, s]) => s.ports ?? [])
      .map((p) => p.split(":").slice(0, -1).join(":"));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });
});

describe("LICENSE", () => {
  it("is the license package.json names, with a copyright line", async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as { license: string };
    const license = await readFile(join(REPO_ROOT, "LICENSE"), "utf8");
    expect(pkg.license).toBe("MIT");
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} .+\n/);
    expect(license).toContain("Permission is hereby granted, free of charge");
  });
});
