// The firing alerts as GET /api/v2/alerts shows them: gathered from the pipeline's components (by
// capability), their silences looked up, and filtered as Alertmanager filters them.
import type { PipelineGraph } from "../pipeline.ts";
import type { Alert } from "../signal.ts";
import { matchesAll, parseMatchers } from "../silences/matchers.ts";
import { isActive, type Silence } from "../silences/silence.ts";
import { type GettableAlert, gettableAlert } from "./am-shapes.ts";
import type { ApiContext } from "./context.ts";
import { ApiError, refusal } from "./errors.ts";
import { currentAlerts } from "./sources.ts";

/** Exporters that deliver alerts, as Alertmanager receivers (the console fallback as "console"). */
export function receiverNames(graph: PipelineGraph): string[] {
  const names = graph.exporters
    .filter((e) => e.instance.configured && e.instance.accepts.has("alert"))
    .map((e) => e.id.split(" ")[0] as string);
  return [...new Set(names)];
}

/** Every firing alert the pipeline knows, beside its Alertmanager form (`active`: silences in force). */
export function alertViews(
  ctx: ApiContext,
  active: readonly Silence[],
  nowMs: number,
): Array<{ alert: Alert; gettable: GettableAlert }> {
  const receivers = receiverNames(ctx.graph);
  const resolveTimeoutMs = ctx.config.service.status.resolve_timeout * 1000;
  const components = [...ctx.graph.processors.map((p) => p.instance), ctx.intake];
  return currentAlerts(components).map(({ alert, processed, incident }) => ({
    alert,
    gettable: gettableAlert({
      alert,
      processed,
      ...(incident ? { incident } : {}),
      active,
      receivers,
      nowMs,
      endsAt: ctx.intake.expiresAt(alert.fingerprint) ?? alert.at + resolveTimeoutMs,
    }),
  }));
}

export async function gettableAlerts(ctx: ApiContext): Promise<GettableAlert[]> {
  const nowMs = ctx.scheduler.now();
  const active = (await ctx.silences.list(nowMs)).filter((s) => isActive(s, nowMs));
  return alertViews(ctx, active, nowMs)
    .map((v) => v.gettable)
    .sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
}

function flag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null || v === "" || v === "true") return true;
  if (v === "false") return false;
  throw new ApiError(400, `${name} in query must be of type boolean: ${JSON.stringify(v)}`);
}

/** Alertmanager's filters: active, silenced, inhibited, unprocessed, filter= matchers, receiver regex. */
export function alertFilter(query: URLSearchParams): (a: GettableAlert) => boolean {
  const active = flag(query, "active");
  const silenced = flag(query, "silenced");
  const inhibited = flag(query, "inhibited");
  const unprocessed = flag(query, "unprocessed");
  const matchers = parseMatchers(query.getAll("filter"));
  const receiver = query.get("receiver");
  let receiverRe: RegExp | undefined;
  if (receiver) {
    try {
      receiverRe = new RegExp(`^(?:${receiver})$`);
    } catch (error) {
      throw refusal(400, `failed to parse receiver param: ${(error as Error).message}`);
    }
  }
  return (a) => {
    if (!silenced && a.status.silencedBy.length > 0) return false;
    if (!inhibited && a.status.inhibitedBy.length > 0) return false;
    if (!unprocessed && a.status.state === "unprocessed") return false;
    if (!active && a.status.state === "active") return false;
    if (receiverRe && !a.receivers.some((r) => receiverRe.test(r.name))) return false;
    return matchesAll(matchers, a.labels);
  };
}
