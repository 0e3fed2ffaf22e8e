// Slack exporter: Block Kit messages through the official IncomingWebhook client, behind the
// delivery queue (the client's own retries are off; the queue owns rate limits and retries).

import { createHash } from "node:crypto";
import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError } from "@slack/webhook";
import { z } from "zod";
import { type ComponentContext, defineFactory, type Exporter, type ProbeResult } from "../src/component.ts";
import { boolishOr, deliveryConfigShape, queueOptionsFrom } from "../src/delivery/config.ts";
import type { Outbox } from "../src/delivery/outbox.ts";
import { classifyHttpStatus, type DeliveryOutcome } from "../src/delivery/outcome.ts";
import { type DeliveryDestination, DeliveryQueue } from "../src/delivery/queue.ts";
import { partWindow } from "../src/delivery/send-window.ts";
import { storeOutboxFor } from "../src/delivery/store-outbox.ts";
import { groupsOthers } from "../src/incident.ts";
import { redactDestination, registerSecret, stripSecrets } from "../src/secrets.ts";
import { type Alert, type Digest, digestCount, type Item } from "../src/signal.ts";
import { reportDelivery } from "../src/telemetry/settle.ts";
import { type RenderOptions, renderAlert, renderDigest, renderTestMessage } from "./slack-blocks.ts";
import type { SlackMessage } from "./slack-format.ts";
import { type IncidentAlert, renderIncident } from "./slack-incident.ts";

/** An incident of several alerts; one of a single alert is sent as that alert. */
const isIncidentAlert = (a: Alert): a is IncidentAlert => groupsOthers(a);

export const slackConfigSchema = z
  .strictObject({
    webhook_url: z.string().default("").meta({
      description:
        "Slack incoming-webhook URL (SLACK_WEBHOOK_URL in the shipped pipeline.yaml); https only, plain http only to 127.0.0.1/localhost/::1. Empty = Slack off. Never logged.",
    }),
    escalation_webhook_url: z.string().default("").meta({
      description:
        "Webhook for escalations (SLACK_ESCALATION_WEBHOOK_URL); empty = escalations go to webhook_url with an @channel mention.",
    }),
    enabled: boolishOr(true).meta({
      description:
        "false turns Slack off while keeping the webhook configured (SLACK_ALERTS_ENABLED); empty = true.",
    }),
    environment: z.string().default("").meta({
      description: 'Environment shown on every message; empty = SENTRY_ENVIRONMENT, else "production".',
    }),
    username: z
      .string()
      .optional()
      .meta({ description: "Sender name shown in Slack; unset = the webhook's own." }),
    icon_emoji: z.string().optional().meta({
      description: "Sender icon, an emoji code such as :rotating_light:; unset = the webhook's own.",
    }),
    ...deliveryConfigShape,
  })
  .meta({
    description:
      "Sends alerts, digests, resolves and escalations to Slack as Block Kit messages through an incoming webhook, behind a delivery queue (rate limit, retries, Retry-After).",
  });
export type SlackConfig = z.output<typeof slackConfigSchema>;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** Why a webhook URL is unacceptable (never quoting it), or undefined when fine. */
export function webhookUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a valid URL";
  }
  if (parsed.protocol === "https:") return undefined;
  if (parsed.protocol === "http:" && LOOPBACK.has(parsed.hostname)) return undefined;
  return "must be an https:// URL (plain http is allowed only for 127.0.0.1, localhost and ::1)";
}

/** One Slack webhook as a queue destination; Retry-After read from the response it got. */
function slackDestination(key: string, url: string, config: SlackConfig): DeliveryDestination<SlackMessage> {
  let lastRetryAfter: string | null = null;
  const webhook = new IncomingWebhook(url, {
    timeout: config.timeout * 1000,
    retryConfig: { retries: 0 },
    ...(config.username ? { username: config.username } : {}),
    ...(config.icon_emoji ? { icon_emoji: config.icon_emoji } : {}),
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      lastRetryAfter = response.headers.get("retry-after");
      return response;
    },
  });
  return {
    key,
    label: redactDestination(url),
    async send(message): Promise<DeliveryOutcome> {
      lastRetryAfter = null;
      try {
        await webhook.send(message);
        return { ok: true, status: 200 };
      } catch (error) {
        return slackOutcome(error, lastRetryAfter, url);
      }
    },
  };
}

function slackOutcome(error: unknown, retryAfter: string | null, url: string): DeliveryOutcome {
  if (error instanceof IncomingWebhookHTTPError) {
    const body = stripSecrets(error.body.trim().slice(0, 200), [url]);
    return classifyHttpStatus(
      error.statusCode,
      `${error.statusCode} ${body || error.statusMessage}`,
      retryAfter,
    );
  }
  if (error instanceof IncomingWebhookRequestError) {
    const original = error.original;
    if (original.name === "TimeoutError" || original.name === "AbortError")
      return { ok: false, kind: "transient", reason: "timeout" };
    const code = (original.cause as { code?: string } | undefined)?.code;
    return {
      ok: false,
      kind: "transient",
      reason: `network error: ${code ?? stripSecrets(original.message, [url])}`,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, kind: "transient", reason: stripSecrets(message, [url]) };
}

/** What makes two notices the same one (two instances fed the same breach): hashed, never secret. */
export function noticeIdentity(item: Alert | Digest): string {
  const parts =
    item.kind === "alert"
      ? [
          item.fingerprint,
          item.status,
          item.startsAt,
          item.escalationLevel ?? 0,
          // An incident's updates share its fingerprint, status and start: its revision tells them apart.
          ...(item.incident ? [item.incident.id, item.incident.revision] : []),
        ]
      : ["digest", item.route, item.windowStart, ...item.alerts.map((a) => `${a.fingerprint}@${a.startsAt}`)];
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32);
}

export interface SlackExporter extends Exporter {
  probe(): Promise<ProbeResult[]>;
  readonly queue: DeliveryQueue<SlackMessage>;
}

export function createSlackExporter(
  config: SlackConfig,
  context: ComponentContext & { readonly outbox?: Outbox<SlackMessage> },
): SlackExporter {
  const enabled = config.enabled;
  const configured = enabled && config.webhook_url.trim() !== "";
  const secrets = [config.webhook_url, config.escalation_webhook_url].filter((s) => s !== "");
  for (const s of secrets) registerSecret(s);
  // On SQLite/Redis state the outbox is the store: pending messages survive a crash and are shared.
  const outbox = context.outbox ?? (configured ? storeOutboxFor<SlackMessage>(context, config) : undefined);
  const queue = new DeliveryQueue<SlackMessage>(queueOptionsFrom(config, context, { secrets, outbox }));
  const environment = config.environment || context.env.SENTRY_ENVIRONMENT || "production";
  const primary = configured
    ? slackDestination(`${context.id}:default`, config.webhook_url, config)
    : undefined;
  const escalation =
    configured && config.escalation_webhook_url
      ? slackDestination(`${context.id}:escalation`, config.escalation_webhook_url, config)
      : undefined;

  if (configured && outbox) {
    const byKey = new Map([primary, escalation].filter((d) => d !== undefined).map((d) => [d.key, d]));
    queue
      .restore((key) => byKey.get(key))
      .then(
        (restored) => {
          if (restored > 0) context.logger.info({ restored }, "resuming deliveries left from a previous run");
        },
        (error: unknown) =>
          context.logger.error({ err: stripSecrets(String(error), secrets) }, "outbox restore failed"),
      );
  }

  const route = (
    item: Alert | Digest,
  ): { destination: DeliveryDestination<SlackMessage>; mention: boolean } => {
    const escalated =
      (item.kind === "alert" && item.status === "escalated") ||
      (item.route !== undefined && item.route !== "default");
    if (escalated && escalation) return { destination: escalation, mention: false };
    return { destination: primary as DeliveryDestination<SlackMessage>, mention: escalated };
  };

  const exporter: SlackExporter = {
    queue,
    configured,
    accepts: new Set<Item["kind"]>(["alert", "digest"]),
    async export(batch) {
      if (!configured) return;
      const accepted: Promise<void>[] = [];
      for (const item of batch) {
        if (item.kind !== "alert" && item.kind !== "digest") continue;
        const { destination, mention } = route(item);
        const options: RenderOptions = { environment, mentionChannel: mention };
        const messages =
          item.kind === "digest"
            ? renderDigest(item, options)
            : isIncidentAlert(item)
              ? renderIncident(item, options)
              : renderAlert(item, options);
        const rule = item.kind === "alert" ? item.rule : `digest(${digestCount(item)})`;
        const identity = noticeIdentity(item);
        const tickets = messages.map((message, part) => {
          const window = partWindow(item.sendWindow, part);
          const meta = { rule, key: `${identity}#${part}`, ...(window ? { window } : {}) };
          return queue.enqueue(destination, message, meta);
        });
        for (const t of tickets) accepted.push(t.accepted);
        reportDelivery(context.notices, context, item, tickets);
      }
      await Promise.all(accepted);
    },
    async probe(): Promise<ProbeResult[]> {
      if (!configured) return [];
      const targets = [primary, escalation].filter((d): d is DeliveryDestination<SlackMessage> => !!d);
      const message = renderTestMessage({ environment }, context.scheduler.now());
      // One direct attempt each (no queue, no retries): the operator wants the answer now.
      return Promise.all(
        targets.map(async (d): Promise<ProbeResult> => {
          const outcome = await d.send(message, 1);
          return outcome.ok
            ? { destination: d.label, ok: true, status: outcome.status }
            : {
                destination: d.label,
                ok: false,
                status: outcome.status,
                reason: outcome.reason,
              };
        }),
      );
    },
    async shutdown() {
      await queue.shutdown(config.shutdown_timeout * 1000);
    },
    status() {
      return {
        configured,
        enabled,
        environment,
        escalation_configured: escalation !== undefined,
        ...(primary ? { destination: primary.label } : {}),
        delivery: queue.status(),
      };
    },
  };
  return exporter;
}

export const slackExporterFactory = defineFactory({
  kind: "exporter",
  type: "slack",
  configSchema: slackConfigSchema,
  validate(config) {
    const problems: Array<{ path: string[]; message: string }> = [];
    for (const key of ["webhook_url", "escalation_webhook_url"] as const) {
      const value = config[key].trim();
      if (!value) continue;
      const problem = webhookUrlProblem(value);
      if (problem) problems.push({ path: [key], message: `${key} ${problem}` });
    }
    return problems;
  },
  create: (config, context): Exporter => createSlackExporter(config, context),
});
