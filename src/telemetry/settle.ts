// An exporter's side of the notice journal: once every message a notice was rendered as has
// settled in the delivery queue, one event says what became of it.
import type { SchedulerLike } from "rxjs";
import type { DeliveryResult, DeliveryTicket } from "../delivery/queue-types.ts";
import type { Notice, NoticeOutcome, NoticeSink } from "./notices.ts";

/** Sent if any part was delivered here; undefined while a part is left pending (shutdown: kept in the outbox). */
function outcomeOf(results: readonly DeliveryResult[]): NoticeOutcome | undefined {
  if (results.some((r) => r.state === "failed")) return "failed";
  if (results.some((r) => r.state === "pending")) return undefined;
  return results.some((r) => r.state === "delivered") ? "sent" : "handed_off";
}

export function reportDelivery(
  sink: NoticeSink | undefined,
  exporter: { readonly id: string; readonly scheduler: SchedulerLike },
  item: Notice,
  tickets: readonly DeliveryTicket[],
): void {
  if (!sink || tickets.length === 0) return;
  Promise.all(tickets.map((t) => t.done)).then(
    (results) => {
      const outcome = outcomeOf(results);
      if (outcome === undefined) return;
      const failed = results.find((r) => r.state === "failed");
      sink.record({
        outcome,
        item,
        component: exporter.id,
        at: exporter.scheduler.now(),
        ...(results[0] ? { destination: results[0].destination } : {}),
        ...(failed?.reason !== undefined ? { reason: failed.reason } : {}),
      });
    },
    () => undefined,
  );
}
