// Bearer-token check for mutating calls: compared in constant time, on hashes so the lengths of
// the expected and the given token never show either.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { ApiError } from "./errors.ts";

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

export type AuthCheck = (headers: IncomingHttpHeaders) => void;

/** Throws a 401 ApiError unless the request carries `Authorization: Bearer <token>`. No token: open. */
export function bearerAuth(token: string): AuthCheck {
  if (token === "") return () => {};
  const expected = digest(token);
  const unauthorized = (why: string) =>
    new ApiError(401, why, { headers: { "www-authenticate": 'Bearer realm="alertpipe"' } });
  return (headers) => {
    const header = headers.authorization;
    const match = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw unauthorized("this call needs Authorization: Bearer <token> (ALERTPIPE_STATUS_TOKEN)");
    if (!timingSafeEqual(digest(match[1] as string), expected)) throw unauthorized("invalid bearer token");
  };
}
