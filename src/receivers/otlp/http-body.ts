// Request body reading for the OTLP/HTTP server: size-limited before and after decompression.
import type { IncomingMessage } from "node:http";
import { promisify } from "node:util";
import { gunzip, inflate } from "node:zlib";

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

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

/** Undoes Content-Encoding (gzip, deflate, identity), with the output capped at `max` bytes (zip bombs → 413). */
export async function decodeBody(body: Buffer, encoding: string | undefined, max: number): Promise<Buffer> {
  const enc = (encoding ?? "identity").trim().toLowerCase();
  if (enc === "" || enc === "identity") return body;
  if (enc !== "gzip" && enc !== "x-gzip" && enc !== "deflate") {
    throw new HttpError(
      415,
      `unsupported Content-Encoding "${enc.slice(0, 40)}" (gzip, deflate or identity)`,
    );
  }
  try {
    const inflateFn = enc === "deflate" ? inflateAsync : gunzipAsync;
    return await inflateFn(body, { maxOutputLength: max });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) {
      throw new HttpError(413, `decompressed request body exceeds the limit of ${max} bytes`);
    }
    throw new HttpError(400, `invalid ${enc} body: ${e.message}`);
  }
}
