// Wraps any exporter (custom plugins included) in a delivery queue: its export() becomes a send
// attempt that the queue rate-limits and retries; throw PermanentDeliveryError to stop retries.
import type { ComponentStatus, Exporter } from "../component.ts";
import type { Item } from "../signal.ts";
import type { NoticeSink } from "../telemetry/notices.ts";
import { reportDelivery } from "../telemetry/settle.ts";
import { outcomeFromError } from "./outcome.ts";
import { type DeliveryDestination, DeliveryQueue, type DeliveryQueueOptions } from "./queue.ts";

export interface QueuedExporterOptions extends DeliveryQueueOptions<Item> {
  /** Component id, e.g. "webhook/pagerduty": the destination key and label. */
  readonly id: string;
  /** Scheduler-time deadline for draining at shutdown, ms. */
  readonly shutdownTimeoutMs?: number;
  /** Told what became of each notice. */
  readonly notices?: NoticeSink;
}

export interface QueuedExporter extends Exporter {
  readonly queue: DeliveryQueue<Item>;
}

/** One queue entry per item, so order, failures and status are per alert. */
export function withDeliveryQueue(inner: Exporter, options: QueuedExporterOptions): QueuedExporter {
  const queue = new DeliveryQueue<Item>(options);
  const destination: DeliveryDestination<Item> = {
    key: options.id,
    label: options.id,
    async send(item) {
      try {
        await inner.export([item]);
        return { ok: true };
      } catch (error) {
        return outcomeFromError(error);
      }
    },
  };
  return {
    queue,
    configured: inner.configured,
    accepts: inner.accepts,
    async export(batch) {
      const tickets = batch.map((item) => {
        const window = item.kind === "alert" || item.kind === "digest" ? item.sendWindow : undefined;
        const rule = item.kind === "alert" ? item.rule : item.kind;
        const ticket = queue.enqueue(destination, item, { rule, ...(window ? { window } : {}) });
        if (item.kind === "alert" || item.kind === "digest" || item.kind === "error")
          reportDelivery(options.notices, { id: options.id, scheduler: options.scheduler }, item, [ticket]);
        return ticket;
      });
      await Promise.all(tickets.map((t) => t.accepted));
    },
    async shutdown() {
      await queue.shutdown(options.shutdownTimeoutMs ?? 10_000);
      await inner.shutdown();
    },
    status(): ComponentStatus {
      return { ...(inner.status?.() ?? {}), delivery: queue.status() };
    },
  };
}
