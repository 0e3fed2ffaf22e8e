// A local stand-in for Sentry's envelope endpoint (POST /api/<project>/envelope/): parses the
// newline-delimited envelope (gzip or not) so tests can assert event fields; scriptable replies.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

export interface SentryReply {
  readonly status: number;
  readonly headers?: Record<string, string>;
}

export interface EnvelopeItem {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown> | string;
}

export interface SentryRequest {
  readonly at: number;
  readonly project: string;
  readonly auth: string;
  readonly header: Record<string, unknown>;
  readonly items: EnvelopeItem[];
  readonly reply: SentryReply;
}

export interface FakeSentry {
  /** A DSN pointing here: http://<key>@127.0.0.1:<port>/<project>. */
  dsn(key?: string, project?: string): string;
  readonly requests: SentryRequest[];
  /** Event payloads of requests answered 200. */
  events(): Record<string, unknown>[];
  behave(behaviour: (request: { index: number; at: number }) => SentryReply): void;
  close(): Promise<void>;
}

export const SENTRY_KEY = "0123456789abcdefSECRETKEY";

/** Envelope: header line, then per item a header line and a payload (length-prefixed or one line). */
export function parseEnvelope(body: Buffer): { header: Record<string, unknown>; items: EnvelopeItem[] } {
  let cursor = 0;
  const readLine = (): string => {
    const end = body.indexOf(0x0a, cursor);
    const line = body.subarray(cursor, end === -1 ? body.length : end).toString("utf8");
    cursor = end === -1 ? body.length : end + 1;
    return line;
  };
  const header = JSON.parse(readLine()) as Record<string, unknown>;
  const items: EnvelopeItem[] = [];
  while (cursor < body.length) {
    const line = readLine();
    if (!line.trim()) continue;
    const itemHeader = JSON.parse(line) as Record<string, unknown>;
    let raw: string;
    if (typeof itemHeader.length === "number") {
      raw = body.subarray(cursor, cursor + itemHeader.length).toString("utf8");
      cursor += itemHeader.length;
      if (body[cursor] === 0x0a) cursor++;
    } else raw = readLine();
    let payload: Record<string, unknown> | string = raw;
    try {
      payload = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      // attachments and other binary items stay as text
    }
    items.push({ header: itemHeader, payload });
  }
  return { header, items };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function startFakeSentry(now: () => number = Date.now): Promise<FakeSentry> {
  const requests: SentryRequest[] = [];
  let behaviour: (r: { index: number; at: number }) => SentryReply = () => ({ status: 200 });
  const server = createServer(async (req, res) => {
    const at = now();
    const url = new URL(req.url ?? "/", "http://localhost");
    const match = /^\/api\/([^/]+)\/envelope\/$/.exec(url.pathname);
    if (req.method !== "POST" || !match) {
      res.writeHead(404).end();
      return;
    }
    let body = await readBody(req);
    if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
    const { header, items } = parseEnvelope(body);
    const reply = behaviour({ index: requests.length, at });
    const auth = url.searchParams.get("sentry_key") ?? String(req.headers["x-sentry-auth"] ?? "");
    requests.push({ at, project: match[1] ?? "", auth, header, items, reply });
    res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
    res.end(reply.status === 200 ? JSON.stringify({ id: header.event_id }) : "{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    dsn: (key = SENTRY_KEY, project = "42") => `http://${key}@127.0.0.1:${port}/${project}`,
    requests,
    events: () =>
      requests
        .filter((r) => r.reply.status === 200)
        .flatMap((r) =>
          r.items.filter((i) => i.header.type === "event").map((i) => i.payload as Record<string, unknown>),
        ),
    behave(b) {
      behaviour = b;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
