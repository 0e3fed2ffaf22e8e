// The HTTP client behind `alertpipe silence` and `alertpipe alerts`: the collector's own API on
// the status endpoint, with the bearer token from ALERTPIPE_STATUS_TOKEN (or --token-file).
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { ParseArgsConfig } from "node:util";
import { parseEndpoint } from "../net.ts";
import { redactSecrets, registerSecret } from "../secrets.ts";
import { type ParsedArgs, parseCommandArgs, strings } from "./args.ts";
import { CLIENT_CONFIG_OPTIONS, configGiven, configInputs, printProblems } from "./config-args.ts";

export interface ClientOptions {
  /** Base URL; default http://<ALERTPIPE_STATUS_ENDPOINT>, loopback for a wildcard bind. */
  readonly url?: string;
  readonly tokenFile?: string;
  /** The token itself (from a pipeline.yaml's service.status.auth.token); tokenFile wins. */
  readonly token?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export class ApiClientError extends Error {
  override readonly name = "ApiClientError";
}

/** Where the running collector's API is, from the same variable the collector listens on. */
export function defaultApiUrl(env: Readonly<Record<string, string | undefined>>): string {
  return apiUrlOf(env.ALERTPIPE_STATUS_ENDPOINT || "127.0.0.1:13133");
}

/** The URL of a listen address: a wildcard bind is reached on loopback. */
export function apiUrlOf(endpoint: string): string {
  const { host, port } = parseEndpoint(endpoint);
  const reachable = host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host;
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

export interface ApiClient {
  readonly url: string;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  delete(path: string): Promise<void>;
}

function errorText(text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === "string") return body;
    if (body && typeof body === "object" && "message" in body) return String(body.message);
  } catch {
    // not JSON: shown as it is
  }
  return text.trim().slice(0, 300);
}

/** One request without keep-alive: a command ends as soon as its answer is in. */
function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end(payload);
  });
}

export function apiClient(options: ClientOptions = {}): ApiClient {
  const env = options.env ?? process.env;
  const url = (options.url ?? defaultApiUrl(env)).replace(/\/+$/, "");
  const token = options.tokenFile
    ? readFileSync(options.tokenFile, "utf8").trim()
    : (options.token ?? env.ALERTPIPE_STATUS_TOKEN ?? "");
  registerSecret(token);
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const headers: Record<string, string> = { accept: "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: { status: number; text: string };
    try {
      response = await send(new URL(`${url}${path}`), method, headers, body);
    } catch (error) {
      const cause = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new ApiClientError(
        `cannot reach alertpipe at ${url} (${cause}): is \`alertpipe run\` running there?`,
      );
    }
    const { status, text } = response;
    if (status < 200 || status >= 300) {
      throw new ApiClientError(redactSecrets(`${method} ${path}: ${status} ${errorText(text)}`));
    }
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  };
  return {
    url,
    get: async <T>(path: string) => (await call("GET", path)) as T,
    post: async <T>(path: string, body: unknown) => (await call("POST", path, body)) as T,
    delete: async (path) => {
      await call("DELETE", path);
    },
  };
}

/** Columns padded to their widest cell, like amtool's tables. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** "2026-12-01 22:36:42 UTC", as amtool prints times. */
export function shortTime(iso: string): string {
  return `${iso.slice(0, 19).replace("T", " ")} UTC`;
}

/** The options every client command takes. */
const CLIENT_OPTIONS = {
  url: { type: "string" },
  "token-file": { type: "string" },
  json: { type: "boolean" },
  ...CLIENT_CONFIG_OPTIONS,
} as const;

/**
 * A client command's arguments with the shared options and its client, or the exit code (help
 * printed, a usage error, a bad --config). With --config/--set the endpoint and token are the
 * pipeline.yaml's (service.status), as the collector started with it listens; --url and
 * --token-file still win.
 */
export async function parseClientArgs(
  command: string,
  args: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
): Promise<(ParsedArgs & { client: ApiClient }) | { code: number }> {
  const parsed = parseCommandArgs(command, args, { ...CLIENT_OPTIONS, ...options });
  if ("code" in parsed) return parsed;
  const { values } = parsed;
  const configured: { url?: string; token?: string } = {};
  if (configGiven({ config: strings(values.config), set: strings(values.set) })) {
    // Loaded only here: without --config a client needs none of the components.
    const [{ loadConfigInputs }, { Registry }] = await Promise.all([
      import("../config/load.ts"),
      import("../registry.ts"),
    ]);
    const result = await loadConfigInputs(
      configInputs({ config: strings(values.config), set: strings(values.set) }),
      {
        env: process.env,
        registry: new Registry(),
      },
    );
    if (!result.ok) return { code: printProblems(result.problems) };
    const { endpoint, auth } = result.config.service.status;
    configured.url = apiUrlOf(endpoint);
    if (auth.token) configured.token = auth.token;
  }
  try {
    const client = apiClient({
      ...configured,
      ...(typeof values.url === "string" ? { url: values.url } : {}),
      ...(typeof values["token-file"] === "string" ? { tokenFile: values["token-file"] } : {}),
    });
    return { ...parsed, client };
  } catch (error) {
    process.stderr.write(`alertpipe ${command}: ${(error as Error).message}\n`);
    return { code: 1 };
  }
}
