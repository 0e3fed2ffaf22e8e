// Sentry transport on node:http(s): @sentry/core's createTransport (envelope buffer, X-Sentry-Rate-Limits
// and Retry-After bookkeeping) with a request executor like @sentry/node's own: keep-alive, gzip past
// 32 KiB, one retry when a reused socket was reset, and HTTP(S)_PROXY / NO_PROXY honoured.
import * as http from "node:http";
import * as https from "node:https";
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import {
  type BaseTransportOptions,
  createTransport,
  type Transport,
  type TransportMakeRequestResponse,
  type TransportRequest,
} from "@sentry/core";

const GZIP_THRESHOLD = 32 * 1024;
const PROXY_VARIABLES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"];

export interface HttpTransportOptions extends BaseTransportOptions {
  /** Where proxy variables come from: the component's environment (never process.env directly). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Node's built-in proxy support (22.21+), fed only the proxy variables. */
function proxyEnvOf(env: HttpTransportOptions["env"]): Record<string, string> | undefined {
  const picked = Object.fromEntries(
    PROXY_VARIABLES.flatMap((name) => (env[name] ? [[name, env[name] as string]] : [])),
  );
  return Object.keys(picked).length > 0 ? picked : undefined;
}

export function makeHttpTransport(options: HttpTransportOptions): Transport {
  const url = new URL(options.url);
  const module = url.protocol === "https:" ? https : http;
  const proxyEnv = proxyEnvOf(options.env);
  // `proxyEnv` is newer than @types/node 22's AgentOptions.
  const agentOptions: http.AgentOptions & { proxyEnv?: Record<string, string> } = {
    keepAlive: true,
    maxSockets: 30,
    timeout: 2000,
    ...(proxyEnv ? { proxyEnv } : {}),
  };
  const agent = new module.Agent(agentOptions);
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;

  const send = (request: TransportRequest, canRetry: boolean): Promise<TransportMakeRequestResponse> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...options.headers };
      let body: Readable = Readable.from([Buffer.from(request.body)]);
      if (request.body.length > GZIP_THRESHOLD) {
        headers["content-encoding"] = "gzip";
        body = body.pipe(createGzip());
      }
      const req = module.request(
        { method: "POST", agent, headers, hostname, port: url.port, path: `${url.pathname}${url.search}` },
        (res) => {
          res.resume();
          const rateLimits = res.headers["x-sentry-rate-limits"];
          resolve({
            statusCode: res.statusCode,
            headers: {
              "retry-after": res.headers["retry-after"] ?? null,
              "x-sentry-rate-limits": (Array.isArray(rateLimits) ? rateLimits[0] : rateLimits) ?? null,
            },
          });
        },
      );
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (canRetry && req.reusedSocket && error.code === "ECONNRESET") resolve(send(request, false));
        else reject(error);
      });
      body.pipe(req);
    });

  return createTransport(options, (request) => send(request, true));
}
