// A local stand-in for Slack's incoming-webhook endpoint: answers like Slack does (200 "ok",
// 429 + Retry-After, 5xx, 4xx with Slack's error bodies) and records what it received, when.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SlackReply {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

export interface SlackRequest {
  /** Receive time from the injected clock (virtual time in tests). */
  readonly at: number;
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly reply: SlackReply;
}

export type SlackBehaviour = (request: { index: number; at: number; path: string }) => SlackReply;

export const OK: SlackReply = { status: 200, body: "ok" };
export const replies = {
  ok: OK,
  rateLimited: (retryAfterSeconds: number): SlackReply => ({
    status: 429,
    body: "rate_limited",
    headers: { "retry-after": String(retryAfterSeconds) },
  }),
  unavailable: { status: 503, body: "service_unavailable" } as SlackReply,
  invalidPayload: { status: 400, body: "invalid_payload" } as SlackReply,
  actionProhibited: { status: 403, body: "action_prohibited" } as SlackReply,
  noService: { status: 404, body: "no_service" } as SlackReply,
  archived: { status: 410, body: "channel_is_archived" } as SlackReply,
};

export interface FakeSlack {
  /** A webhook URL on this server, shaped like Slack's (the last segment is the secret). */
  webhookUrl(path?: string): string;
  readonly requests: SlackRequest[];
  /** Bodies answered with 200, in arrival order. */
  delivered(): Record<string, unknown>[];
  behave(behaviour: SlackBehaviour): void;
  close(): Promise<void>;
}

export const SECRET_PATH = "/services/T0SECRET1/B0SECRET2/xyzSecretToken123456";

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startFakeSlack(now: () => number = Date.now): Promise<FakeSlack> {
  const requests: SlackRequest[] = [];
  let behaviour: SlackBehaviour = () => OK;
  const server: Server = createServer(async (req, res) => {
    const at = now();
    const text = await readBody(req);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      res.writeHead(400, { "content-type": "text/plain" }).end("invalid_payload");
      return;
    }
    const reply = behaviour({ index: requests.length, at, path: req.url ?? "/" });
    requests.push({ at, path: req.url ?? "/", body, reply });
    res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers }).end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    webhookUrl: (path = SECRET_PATH) => `http://127.0.0.1:${port}${path}`,
    requests,
    delivered: () => requests.filter((r) => r.reply.status === 200).map((r) => r.body),
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
