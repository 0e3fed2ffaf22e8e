// Request bodies: read up to a limit (413 past it), parsed as JSON (415/400), validated with zod
// (400 naming the field, in go-openapi's {code, message} shape as Alertmanager answers).
import type { IncomingMessage } from "node:http";
import type { z } from "zod";
import { ApiError } from "./errors.ts";

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const tooLarge = (limit: number) => new ApiError(413, `request body over ${limit} bytes`);

/** `matchers.0.name`; a list body's items are named after it (`alerts.0.labels`). */
function fieldPath(path: readonly PropertyKey[], what: string): string {
  const parts = path.map((p) => String(p));
  return typeof path[0] === "number" ? [what, ...parts].join(".") : parts.join(".");
}

/** One readable line per problem: `matchers.0.name in body is required`. */
export function describeZodError(error: z.ZodError, what: string): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const field = fieldPath(issue.path, what) || what;
      const missing = issue.code === "invalid_type" && issue.message.includes("received undefined");
      return missing ? `${field} in body is required` : `${field} in body: ${issue.message}`;
    })
    .join("; ");
}

export function parseJsonBody<T>(
  raw: Buffer,
  contentType: string | undefined,
  schema: z.ZodType<T>,
  what: string,
): T {
  if (contentType && !/^application\/(.+\+)?json\b/i.test(contentType))
    throw new ApiError(415, `expected a JSON body (content-type application/json), got ${contentType}`);
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new ApiError(400, `parsing ${what} body failed: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError(400, describeZodError(parsed.error, what));
  return parsed.data;
}
