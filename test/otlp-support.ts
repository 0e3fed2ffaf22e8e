// Shared helpers for the OTLP receiver tests: a receiver on 127.0.0.1:0 that records what it emits.

import { otlpReceiverConfigSchema } from "../src/receivers/otlp/config.ts";
import { OtlpReceiver } from "../src/receivers/otlp/receiver.ts";
import type { Item } from "../src/signal.ts";
import { testContext } from "./support/context.ts";

export interface RunningReceiver {
  readonly receiver: OtlpReceiver;
  readonly items: Item[];
  readonly url: string;
  stop(): Promise<void>;
}

export async function startReceiver(config: Record<string, unknown> = {}): Promise<RunningReceiver> {
  const parsed = otlpReceiverConfigSchema.parse({ endpoint: "127.0.0.1:0", ...config });
  const receiver = new OtlpReceiver(parsed, testContext({ id: "otlp" }));
  const items: Item[] = [];
  const sub = receiver.signals.subscribe((item) => items.push(item));
  await receiver.start();
  const { port } = receiver.address();
  return {
    receiver,
    items,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await receiver.shutdown();
      sub.unsubscribe();
    },
  };
}

/** POSTs an OTLP body (JSON by default, to /v1/metrics) and reads the answer whole. */
export async function post(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string> = { "content-type": "application/json" },
  path = "/v1/metrics",
): Promise<{ status: number; text: string; bytes: Uint8Array; type: string | null }> {
  const res = await fetch(`${url}${path}`, { method: "POST", headers, body });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return {
    status: res.status,
    text: new TextDecoder().decode(bytes),
    bytes,
    type: res.headers.get("content-type"),
  };
}
