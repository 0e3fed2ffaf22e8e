// Request body reading for the OTLP/HTTP server: size-limited before and after decompression.
import type { IncomingMessage } from "node:http";
import { promisify } from "node:util";
import * as zlib from "node:zlib";

type Inflate = (body: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>;

/** zstd needs Node ≥ 22.15 (zlib.zstdDecompress); on an older Node it is answered 415, saying why. */
const zstd: Inflate | undefined =
  typeof zlib.zstdDecompress === "function" ? promisify(zlib.zstdDecompress) : undefined;

const gunzip: Inflate = promisify(zlib.gunzip);
const DECODERS: ReadonlyMap<string, Inflate | undefined> = new Map<string, Inflate | undefined>([
  ["gzip", gunzip],
  ["x-gzip", gunzip],
  ["deflate", promisify(zlib.inflate)],
  ["zstd", zstd],
]);
const SUPPORTED = zstd ? "gzip, deflate, zstd or identity" : "gzip, deflate or identity";
/** More codings than this stacked on one body is not a real client. */
const MAX_CODINGS = 3;

/** An HTTP-level refusal: status code plus a reason safe to send back. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Reads the raw body, refusing (413) as soon as it passes `max` bytes. */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > max) {
      reject(new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${max} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        reject(new HttpError(413, `request body exceeds the limit of ${max} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    req.on("error", (err) => {
      if (done) return;
      done = true;
      reject(new HttpError(400, `error reading request body: ${err.message}`));
    });
    req.on("aborted", () => {
      if (done) return;
      done = true;
      reject(new HttpError(400, "request aborted"));
    });
  });
}

/**
 * Undoes Content-Encoding (gzip, deflate, zstd, identity; a list in the order applied), every output
 * capped at `max` bytes (zip bombs → 413).
 */
export async function decodeBody(body: Buffer, encoding: string | undefined, max: number): Promise<Buffer> {
  const codings = (encoding ?? "")
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");
  if (codings.length > MAX_CODINGS)
    throw new HttpError(415, `Content-Encoding stacks ${codings.length} codings (at most ${MAX_CODINGS})`);
  let out = body;
  for (const enc of codings.reverse()) out = await decodeOne(out, enc, max);
  return out;
}

async function decodeOne(body: Buffer, enc: string, max: number): Promise<Buffer> {
  const inflate = DECODERS.get(enc);
  if (!inflate) {
    const why = enc === "zstd" ? ` (zstd needs Node 22.15 or later; this is ${process.version})` : "";
    throw new HttpError(415, `unsupported Content-Encoding "${enc.slice(0, 40)}"${why}; use ${SUPPORTED}`);
  }
  try {
    return await inflate(body, { maxOutputLength: max });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) {
      throw new HttpError(413, `decompressed request body exceeds the limit of ${max} bytes`);
    }
    throw new HttpError(400, `invalid ${enc} body: ${e.message}`);
  }
}
