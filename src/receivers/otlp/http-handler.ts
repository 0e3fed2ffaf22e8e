// The OTLP/HTTP request handler: routing, auth, content negotiation, body limits, decoding and
// Collector-style answers (200 + Export*ServiceResponse, or a google.rpc.Status with a 4xx).
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Item } from "../../signal.ts";
import { OtlpRequestError } from "./fields.ts";
import { decodeBody, HttpError, readBody } from "./http-body.ts";
import type { NormalizeResult } from "./normalize.ts";
import { decodeProtobufRequest, encodeProtobufResponse, encodeProtobufStatus } from "./protobuf.ts";
import { countItems, OTLP_PATHS, type OtlpCounters, type OtlpSignal, REJECTED_FIELD } from "./signals.ts";

export type { OtlpCounters } from "./signals.ts";

export interface OtlpHandlerOptions {
  readonly maxBodySize: number;
  readonly token: string | undefined;
  readonly normalize: (signal: OtlpSignal, req: unknown) => NormalizeResult;
  readonly emit: (item: Item) => void;
  /** Called with every accepted request in its OTLP JSON shape (the receiver's `capture`). */
  readonly capture?: (request: unknown) => void;
  readonly counters: OtlpCounters;
  readonly logger: Logger;
}

type Format = "json" | "protobuf";

/** google.rpc.Code for each HTTP status we answer with. */
const RPC_CODE: Readonly<Record<number, number>> = {
  400: 3,
  401: 16,
  404: 5,
  405: 12,
  413: 8,
  415: 3,
  500: 13,
};

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

function formatOf(contentType: string | undefined): Format | undefined {
  const base = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (base === "application/json") return "json";
  if (base === "application/x-protobuf" || base === "application/protobuf") return "protobuf";
  return undefined;
}

export function createOtlpHandler(
  options: OtlpHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { counters, logger } = options;
  const tokenDigest = options.token === undefined ? undefined : digest(options.token);

  const authorized = (req: IncomingMessage): boolean => {
    if (!tokenDigest) return true;
    const header = req.headers.authorization ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(header);
    // Compare fixed-length digests so neither length nor content leaks through timing.
    return m !== null && timingSafeEqual(digest((m[1] as string).trim()), tokenDigest);
  };

  const sendError = (
    res: ServerResponse,
    format: Format,
    status: number,
    message: string,
    close: boolean,
  ): void => {
    counters.bad_requests++;
    const code = RPC_CODE[status] ?? 2;
    const headers: Record<string, string> = {};
    if (close) headers.connection = "close";
    if (status === 401) headers["www-authenticate"] = "Bearer";
    if (status === 405) headers.allow = "POST";
    if (format === "protobuf") {
      headers["content-type"] = "application/x-protobuf";
      res.writeHead(status, headers).end(encodeProtobufStatus(code, message));
    } else {
      headers["content-type"] = "application/json";
      res.writeHead(status, headers).end(JSON.stringify({ code, message }));
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    counters.requests++;
    const path = (req.url ?? "").split("?")[0] ?? "";
    const signal = OTLP_PATHS[path];
    const format = formatOf(req.headers["content-type"]);
    const replyFormat: Format = format ?? "json";
    if (!signal)
      return sendError(
        res,
        replyFormat,
        404,
        `unknown path; use POST /v1/metrics, /v1/traces or /v1/logs`,
        true,
      );
    if (req.method !== "POST")
      return sendError(res, replyFormat, 405, `method ${req.method} not allowed; use POST`, true);
    if (!authorized(req)) return sendError(res, replyFormat, 401, "missing or invalid bearer token", true);
    if (!format) {
      const ct = String(req.headers["content-type"] ?? "").slice(0, 60);
      return sendError(
        res,
        "json",
        415,
        `unsupported Content-Type "${ct}"; use application/json or application/x-protobuf`,
        true,
      );
    }
    let bodyRead = false;
    try {
      const raw = await readBody(req, options.maxBodySize);
      bodyRead = true;
      const body = await decodeBody(raw, req.headers["content-encoding"], options.maxBodySize);
      const request = format === "json" ? parseJson(body) : decodeProtobufRequest(signal, body);
      const result = options.normalize(signal, request);
      options.capture?.(request);
      for (const item of result.items) options.emit(item);
      countItems(counters, signal, result.items.length, result.rejected);
      const errorMessage = result.errors.join("; ");
      if (result.rejected > 0)
        logger.debug({ signal, rejected: result.rejected, errorMessage }, "otlp partial success");
      if (format === "protobuf") {
        res.writeHead(200, { "content-type": "application/x-protobuf" });
        res.end(encodeProtobufResponse(signal, result.rejected, errorMessage));
      } else {
        const response =
          result.rejected > 0
            ? { partialSuccess: { [REJECTED_FIELD[signal]]: result.rejected, errorMessage } }
            : {};
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(response));
      }
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, format, err.status, err.message, !bodyRead);
      if (err instanceof OtlpRequestError) return sendError(res, format, 400, err.message, false);
      if (err instanceof RangeError)
        return sendError(res, format, 400, `request too deeply nested: ${err.message}`, false);
      logger.error({ err }, "otlp receiver: unexpected error handling a request");
      return sendError(res, format, 500, "internal error", false);
    }
  };

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, "otlp receiver: failed to answer a request");
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new OtlpRequestError(`invalid JSON: ${(err as Error).message.slice(0, 200)}`);
  }
}
