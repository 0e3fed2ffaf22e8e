// The operating API's HTTP server on the status endpoint: one server, a small router, bearer auth
// on every mutating call, bounded bodies, and errors in the shapes Alertmanager clients expect.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import { listen } from "../net.ts";
import { registerSecret } from "../secrets.ts";
import { MatcherSyntaxError } from "../silences/matchers.ts";
import { SilenceError } from "../silences/silence.ts";
import { bearerAuth } from "./auth.ts";
import { parseJsonBody, readBody } from "./body.ts";
import { ApiError, refusal } from "./errors.ts";
import { type ApiReply, type ApiRequest, type Route, Router } from "./router.ts";

export interface ApiServerOptions {
  /** host:port; port 0 picks a free one. */
  readonly endpoint: string;
  readonly routes: readonly Route[];
  /** Bearer token mutating calls need; "" leaves them open. */
  readonly token: string;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
}

export interface ApiServer {
  readonly server: Server;
  address(): { host: string; port: number };
  close(): Promise<void>;
}

const READ_METHODS = new Set(["GET", "HEAD"]);

export function isLoopback(host: string): boolean {
  const h = host.replace(/^::ffff:/, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function send(res: ServerResponse, reply: ApiReply, head: boolean): void {
  const headers: Record<string, string> = { "cache-control": "no-store", ...reply.headers };
  let payload = "";
  if (reply.text !== undefined) {
    payload = reply.text;
    headers["content-type"] = reply.contentType ?? "text/plain; charset=utf-8";
  } else if (reply.body !== undefined) {
    payload = `${JSON.stringify(reply.body, null, 2)}\n`;
    headers["content-type"] = "application/json";
  }
  headers["content-length"] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(head ? undefined : payload);
}

/** What a thrown error answers: ours as they are, silence refusals as Alertmanager words them. */
function errorReply(error: unknown, logger: Logger): ApiReply {
  let e: ApiError;
  if (error instanceof ApiError) e = error;
  else if (error instanceof SilenceError) e = refusal(error.status, error.message);
  else if (error instanceof MatcherSyntaxError) e = refusal(400, `bad matcher format: ${error.message}`);
  else {
    logger.error({ err: String(error) }, "API handler failed");
    e = new ApiError(500, "internal error (see the alertpipe log)");
  }
  return { status: e.status, body: e.body, headers: e.headers };
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { logger, maxBodyBytes } = options;
  registerSecret(options.token);
  const router = new Router(options.routes);
  const authorize = bearerAuth(options.token);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://status.local");
    let reply: ApiReply;
    try {
      const found = router.match(method, url.pathname);
      if (!found)
        throw new ApiError(404, `no such path: ${url.pathname} (served: ${router.paths().join(", ")})`);
      if ("allow" in found) {
        throw new ApiError(405, `method ${method} not allowed on ${url.pathname}`, {
          headers: { allow: found.allow.join(", ") },
        });
      }
      if (!READ_METHODS.has(method)) authorize(req.headers);
      const request: ApiRequest = {
        method,
        path: url.pathname,
        params: found.params,
        query: url.searchParams,
        headers: req.headers,
        json: async (schema, what = "request") =>
          parseJsonBody(await readBody(req, maxBodyBytes), req.headers["content-type"], schema, what),
      };
      reply = await found.route.handle(request);
    } catch (error) {
      reply = errorReply(error, logger);
    }
    send(res, reply, method === "HEAD");
    logger.debug(
      { method, path: url.pathname, status: reply.status, ms: Date.now() - started },
      "api request",
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: String(error) }, "API request failed");
      if (!res.headersSent) send(res, { status: 500, body: { code: 500, message: "internal error" } }, false);
      else res.destroy();
    });
  });
  const bound = await listen(server, options.endpoint, "status endpoint", logger);
  if (options.token === "" && !isLoopback(bound.host)) {
    logger.warn(
      { endpoint: options.endpoint },
      "the status endpoint listens beyond loopback without a token: anyone who reaches it can add silences and post alerts (set ALERTPIPE_STATUS_TOKEN)",
    );
  }
  return {
    server,
    address: () => bound,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
