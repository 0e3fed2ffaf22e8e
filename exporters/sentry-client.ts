// The Sentry client behind the sentry exporter, loaded only once a DSN is configured: @sentry/core's
// ServerRuntimeClient (no global init, no integrations, no OpenTelemetry setup of its own) on the
// node:http transport, wrapped so every envelope's outcome reaches the delivery queue.
import { hostname } from "node:os";
import {
  applySdkMetadata,
  type BaseTransportOptions,
  createStackParser,
  type Envelope,
  type Event,
  Scope,
  type ErrorEvent as SentryErrorEvent,
  type Transport,
} from "@sentry/core";
import {
  nodeStackLineParser,
  ServerRuntimeClient,
  type ServerRuntimeClientOptions,
} from "@sentry/core/server";
import { classifyHttpStatus, type DeliveryOutcome } from "../src/delivery/outcome.ts";
import { defaultScrubber } from "../src/scrub/scrub.ts";
import { stripSecrets } from "../src/secrets.ts";
import { makeHttpTransport } from "./sentry-transport.ts";

/** Node stack traces → Sentry frames (what @sentry/node's defaultStackParser does). */
export const stackParser = createStackParser(nodeStackLineParser());

export interface SentryClientOptions {
  readonly dsn: string;
  readonly environment: string;
  readonly release: string | undefined;
  /** The component's environment, for proxy variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Called once per sent envelope with the event id it carried. */
  onOutcome(eventId: string | undefined, outcome: DeliveryOutcome): void;
}

export interface SentryClient {
  /** `random` draws the trace's sample rand, when the event links to a trace. */
  capture(event: Event, random: () => number): void;
  close(timeoutMs: number): Promise<boolean>;
}

/** Wraps the transport (which already honours 429 / X-Sentry-Rate-Limits) to see each outcome. */
function reportingTransport(inner: Transport, options: SentryClientOptions): Transport {
  return {
    async send(envelope: Envelope) {
      const eventId = (envelope[0] as { event_id?: string }).event_id;
      try {
        const response = await inner.send(envelope);
        if (response.statusCode === undefined) {
          // Dropped client-side: Sentry told us to back off earlier. The queue retries later.
          options.onOutcome(eventId, {
            ok: false,
            kind: "rate_limited",
            reason: "rate limited (client-side backoff)",
          });
        } else {
          const retryAfter = response.headers?.["retry-after"] ?? null;
          options.onOutcome(
            eventId,
            classifyHttpStatus(response.statusCode, `${response.statusCode}`, retryAfter),
          );
        }
        return response;
      } catch (error) {
        const code = (error as { code?: string }).code;
        const message = (error as Error).message ?? String(error);
        const reason = `network error: ${code ?? stripSecrets(message, [options.dsn])}`;
        options.onOutcome(eventId, { ok: false, kind: "transient", reason });
        throw error;
      }
    },
    flush: (timeout?: number) => inner.flush(timeout),
  };
}

export function createSentryClient(options: SentryClientOptions): SentryClient {
  const clientOptions: ServerRuntimeClientOptions = {
    dsn: options.dsn,
    environment: options.environment,
    release: options.release,
    integrations: [],
    transport: (transportOptions: BaseTransportOptions) =>
      reportingTransport(makeHttpTransport({ ...transportOptions, env: options.env }), options),
    stackParser,
    platform: "node",
    runtime: { name: "node", version: process.version },
    serverName: hostname(),
    // Sentry 11's successor of `sendDefaultPii: false`: collect no user/request data at all.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      genAI: { inputs: false, outputs: false },
      databaseQueryData: false,
      stackFrameVariables: false,
    },
    sendClientReports: false,
    traceLifecycle: "static",
    normalizeDepth: 8,
    // The same scrubber as the scrub processor, as a last line of defence.
    beforeSend: (event: SentryErrorEvent) => defaultScrubber.value(event),
  };
  // Events are Node events: the SDK name Sentry's ingestion knows for Node stack traces.
  applySdkMetadata(clientOptions, "node");
  const client = new ServerRuntimeClient(clientOptions);
  return {
    capture(event, random) {
      // Fresh scopes: nothing from the host process's Sentry scopes leaks into these events.
      const scope = new Scope();
      const trace = event.contexts?.trace as { trace_id?: string } | undefined;
      if (trace?.trace_id) scope.setPropagationContext({ traceId: trace.trace_id, sampleRand: random() });
      client.captureEvent(
        { ...event, sdkProcessingMetadata: { capturedSpanIsolationScope: new Scope() } },
        {},
        scope,
      );
    },
    close: (timeoutMs) => Promise.resolve(client.close(timeoutMs)),
  };
}
