// Sentry exporter: a dedicated Sentry client (no global init, no OTel setup of its own) sends each
// ErrorEvent as one Sentry event; the delivery queue retries 5xx/network errors and waits out 429s,
// and the transport reports every outcome so status shows sent / failed / rate limited. The client
// (@sentry/core) is loaded only when a DSN is configured.
import { createHash, randomUUID } from "node:crypto";
import type { Event, StackParser } from "@sentry/core";
import { z } from "zod";
import { type ComponentContext, defineFactory, type Exporter, type ProbeResult } from "../src/component.ts";
import {
  burstField,
  deliveryConfigShape,
  queueOptionsFrom,
  ratePerSecondField,
} from "../src/delivery/config.ts";
import type { Outbox } from "../src/delivery/outbox.ts";
import type { DeliveryOutcome } from "../src/delivery/outcome.ts";
import { type DeliveryDestination, DeliveryQueue } from "../src/delivery/queue.ts";
import { storeOutboxFor } from "../src/delivery/store-outbox.ts";
import { schedulerSleep } from "../src/delivery/timing.ts";
import { redactDestination, registerSecret, stripSecrets } from "../src/secrets.ts";
import type { ErrorEvent, Item } from "../src/signal.ts";
import { reportDelivery } from "../src/telemetry/settle.ts";
import type { SentryClient } from "./sentry-client.ts";
import { toSentryEvent } from "./sentry-event.ts";

export const sentryConfigSchema = z
  .strictObject({
    dsn: z.string().default("").meta({
      description:
        "Sentry project DSN, https://<key>@<host>/<project id> (SENTRY_DSN in the shipped pipeline.yaml); empty = Sentry off. Never logged.",
    }),
    environment: z.string().default("").meta({
      description: 'Sentry environment of every event; empty = SENTRY_ENVIRONMENT, else "production".',
    }),
    release: z
      .string()
      .default("")
      .meta({ description: "Sentry release of every event; empty = SENTRY_RELEASE, else none." }),
    sample_rate: z.coerce.number().min(0).max(1).default(1).meta({
      description:
        "Fraction of error events sent, 0 to 1 (1 = all; sampled-out events are counted in /status).",
    }),
    ...deliveryConfigShape,
    // Sentry ingests faster than a Slack webhook: its own 429s still pace us when needed.
    rate_per_second: ratePerSecondField(10),
    burst: burstField(20),
  })
  .meta({
    description:
      "Sends error events (span exceptions, capturePipelineError) to Sentry with its official client, behind a delivery queue that honours 429 and Retry-After.",
  });
export type SentryConfig = z.output<typeof sentryConfigSchema>;

/** Why a DSN is unusable (never quoting it), or undefined when fine. */
export function dsnProblem(dsn: string): string | undefined {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    return "is not a valid DSN URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an http(s) DSN";
  if (!url.username) return "has no public key (expected https://<key>@<host>/<project>)";
  if (!/^\d+$/.test(url.pathname.split("/").filter(Boolean).at(-1) ?? ""))
    return "has no numeric project id at the end of its path";
  return undefined;
}

export interface SentryCounters {
  sent: number;
  failed: number;
  rate_limited: number;
  network_errors: number;
  sampled_out: number;
}

export interface SentryExporter extends Exporter {
  probe(): Promise<ProbeResult[]>;
  readonly queue: DeliveryQueue<Event>;
}

export function createSentryExporter(
  config: SentryConfig,
  context: ComponentContext & { readonly outbox?: Outbox<Event>; readonly random?: () => number },
): SentryExporter {
  const dsn = config.dsn.trim();
  const configured = dsn !== "";
  registerSecret(dsn);
  const environment = config.environment || context.env.SENTRY_ENVIRONMENT || "production";
  const release = config.release || context.env.SENTRY_RELEASE || undefined;
  const random = context.random ?? Math.random;
  const counters: SentryCounters = { sent: 0, failed: 0, rate_limited: 0, network_errors: 0, sampled_out: 0 };
  const waiters = new Map<string, (outcome: DeliveryOutcome) => void>();
  const settle = (eventId: string | undefined, outcome: DeliveryOutcome) => {
    if (!eventId) return;
    waiters.get(eventId)?.(outcome);
    waiters.delete(eventId);
  };

  // Loaded on first use: an unconfigured exporter never loads @sentry/core.
  let loading: Promise<{ client: SentryClient; stackParser: StackParser }> | undefined;
  const sdk = () =>
    (loading ??= import("./sentry-client.ts").then((m) => ({
      stackParser: m.stackParser,
      client: m.createSentryClient({ dsn, environment, release, env: context.env, onOutcome: settle }),
    })));
  // Started now, so the first event does not wait for the module (a failure surfaces on first use).
  if (configured) sdk().catch(() => undefined);

  // On SQLite/Redis state the outbox is the store: pending events survive a crash and are shared.
  const outbox = context.outbox ?? (configured ? storeOutboxFor<Event>(context, config) : undefined);
  const queue = new DeliveryQueue<Event>(queueOptionsFrom(config, context, { secrets: [dsn], outbox }));

  const destination: DeliveryDestination<Event> = {
    key: `${context.id}:sentry`,
    label: configured ? redactDestination(dsn) : "(not configured)",
    async send(event) {
      if (!configured) return { ok: false, kind: "permanent", reason: "sentry not configured" };
      const { client } = await sdk();
      const eventId = event.event_id as string;
      const outcome = new Promise<DeliveryOutcome>((resolve) => waiters.set(eventId, resolve));
      const timeout = new AbortController();
      const timedOut = schedulerSleep(context.scheduler, config.timeout * 1000, timeout.signal).then(
        (fired): DeliveryOutcome => ({
          ok: false,
          kind: "transient",
          reason: fired ? "timeout" : "cancelled",
        }),
      );
      client.capture(event, random);
      const result = await Promise.race([outcome, timedOut]);
      timeout.abort();
      waiters.delete(eventId);
      if (result.ok) counters.sent++;
      else if (result.kind === "rate_limited") counters.rate_limited++;
      else if (result.reason.startsWith("network error") || result.reason === "timeout")
        counters.network_errors++;
      else if (result.kind === "permanent") counters.failed++;
      return result;
    },
  };

  if (configured && outbox) {
    queue
      .restore((key) => (key === destination.key ? destination : undefined))
      .then(
        (restored) => {
          if (restored > 0) context.logger.info({ restored }, "resuming deliveries left from a previous run");
        },
        (error: unknown) =>
          context.logger.error({ err: stripSecrets(String(error), [dsn]) }, "outbox restore failed"),
      );
  }

  return {
    queue,
    configured,
    accepts: new Set<Item["kind"]>(["error"]),
    async export(batch) {
      if (!configured) return;
      const { stackParser } = await sdk();
      const accepted: Promise<void>[] = [];
      for (const item of batch) {
        if (item.kind !== "error") continue;
        if (config.sample_rate < 1 && random() >= config.sample_rate) {
          counters.sampled_out++;
          continue;
        }
        const event = toSentryEvent(item, stackParser);
        const ticket = queue.enqueue(destination, event, {
          rule: `${item.component}/${item.error.type}`,
          key: errorIdentity(item),
        });
        accepted.push(ticket.accepted);
        reportDelivery(context.notices, context, item, [ticket]);
      }
      await Promise.all(accepted);
    },
    async probe(): Promise<ProbeResult[]> {
      if (!configured) return [];
      const event: Event = {
        event_id: randomUUID().replace(/-/g, ""),
        timestamp: context.scheduler.now() / 1000,
        level: "info",
        message: "alertpipe test message — delivery works",
        tags: { component: "alertpipe", operation: "test-alert" },
      };
      const outcome = await destination.send(event, 1);
      return [
        outcome.ok
          ? { destination: destination.label, ok: true, status: outcome.status }
          : {
              destination: destination.label,
              ok: false,
              status: outcome.status,
              reason: outcome.reason,
            },
      ];
    },
    async shutdown() {
      await queue.shutdown(config.shutdown_timeout * 1000);
      if (loading) await (await loading).client.close(2000);
    },
    status() {
      return {
        configured,
        environment,
        ...(release ? { release } : {}),
        destination: destination.label,
        sample_rate: config.sample_rate,
        ...counters,
        delivery: queue.status(),
      };
    },
  };
}

/** What makes two error events the same one (two instances fed the same span): hashed. */
function errorIdentity(item: ErrorEvent): string {
  const parts = [item.traceId, item.spanId, item.time, item.component, item.error.type, item.error.message];
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32);
}

export const sentryExporterFactory = defineFactory({
  kind: "exporter",
  type: "sentry",
  configSchema: sentryConfigSchema,
  validate(config) {
    const dsn = config.dsn.trim();
    const problem = dsn ? dsnProblem(dsn) : undefined;
    return problem ? [{ path: ["dsn"], message: `dsn ${problem}` }] : [];
  },
  create: (config, context): Exporter => createSentryExporter(config, context),
});
