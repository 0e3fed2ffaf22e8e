// Probes: /healthz and /-/healthy (alive), /-/ready (ready to accept: receivers listening, the state
// store keeping what it is given, no destination failing past its retry time), and /status. The
// bodies follow the OTel Collector's health_check extension: {"status":"Server available",
// "upSince", "uptime"} with 200, {"status":"Server not available"} with 503 (plus why, here).
import type { DestinationStatus } from "../delivery/queue-types.ts";
import { storeReadiness } from "../state/store.ts";
import type { ApiContext } from "./context.ts";
import type { ApiReply, Route } from "./router.ts";

/** A destination failing this long counts as down when its queue retries without limit, s. */
export const UNLIMITED_RETRY_READINESS_S = 3600;

export interface ReadinessCheck {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

const GO_ZERO_TIME = "0001-01-01T00:00:00Z";

/** A duration as Go's time.Duration prints it (the Collector's `uptime`): "1h2m3.5s", "250ms". */
export function goDuration(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  if (whole === 0) return "0s";
  if (whole < 1000) return `${whole}ms`;
  const h = Math.floor(whole / 3_600_000);
  const m = Math.floor((whole % 3_600_000) / 60_000);
  const s = (whole % 60_000) / 1000;
  const seconds = `${Number(s.toFixed(3))}s`;
  if (h > 0) return `${h}h${m}m${seconds}`;
  return m > 0 ? `${m}m${seconds}` : seconds;
}

function available(since: number, extra: object = {}): ApiReply {
  return {
    status: 200,
    body: {
      status: "Server available",
      upSince: new Date(since).toISOString(),
      uptime: goDuration(Date.now() - since),
      ...extra,
    },
  };
}

/** Receivers that can say whether they listen (the OTLP server), by capability. */
const canListen = (r: unknown): r is { listening(): boolean } =>
  typeof (r as { listening?: unknown } | null)?.listening === "function";

/** One destination's delivery as readiness judges it. */
export interface DestinationHealth {
  readonly exporter: string;
  readonly status: DestinationStatus;
  /** How long every attempt has failed, s (0 while it works). */
  readonly failingS: number;
  /** The retry time readiness allows it, s. */
  readonly limitS: number;
  /** Failing past its retry time. */
  readonly down: boolean;
}

export function destinationHealth(ctx: ApiContext): DestinationHealth[] {
  const out: DestinationHealth[] = [];
  const now = ctx.scheduler.now();
  for (const e of ctx.graph.exporters) {
    const delivery = e.instance.status?.().delivery as
      | { destinations?: readonly DestinationStatus[]; max_retry_time_seconds?: number }
      | undefined;
    const limitS = delivery?.max_retry_time_seconds || UNLIMITED_RETRY_READINESS_S;
    for (const d of delivery?.destinations ?? []) {
      const since = d.failing_since === undefined ? undefined : Date.parse(d.failing_since);
      const failingS = since === undefined ? 0 : Math.max(0, (now - since) / 1000);
      out.push({ exporter: e.id, status: d, failingS, limitS, down: failingS > limitS });
    }
  }
  return out;
}

function destinationChecks(ctx: ApiContext): ReadinessCheck[] {
  return destinationHealth(ctx).map(({ exporter, status: d, failingS, limitS, down }) => {
    const last = d.last_failures.at(-1)?.reason;
    const span = `${failingS.toFixed(1)} s${down ? `, past its retry time of ${limitS} s` : `, retried up to ${limitS} s`}`;
    return {
      check: `exporter ${exporter} → ${d.destination}`,
      ok: !down,
      detail:
        d.failing_since === undefined
          ? "delivering"
          : `failing since ${d.failing_since} (${span})${last ? `: ${last}` : ""}`,
    };
  });
}

export function readinessChecks(ctx: ApiContext): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [];
  for (const r of ctx.graph.receivers) {
    if (!canListen(r.instance)) continue;
    const listening = r.instance.listening();
    checks.push({
      check: `receiver ${r.id}`,
      ok: listening,
      detail: listening ? "listening" : "not listening",
    });
  }
  let store: ReturnType<typeof storeReadiness>;
  try {
    store = storeReadiness(ctx.state.status());
  } catch (error) {
    store = { ready: false, reason: `state store unavailable: ${(error as Error).message}` };
  }
  checks.push({
    check: `state store ${ctx.state.backend}`,
    ok: store.ready,
    detail: store.ready ? "open" : store.reason,
  });
  checks.push(...destinationChecks(ctx));
  return checks;
}

export function healthRoutes(ctx: ApiContext): Route[] {
  const alive = () => available(ctx.startedAt);
  /** Since when every readiness check has passed (reset by a failed probe). */
  let readySince: number | undefined = ctx.startedAt;
  const ready = (): ApiReply => {
    const checks = readinessChecks(ctx);
    const failed = checks.filter((c) => !c.ok);
    if (failed.length === 0) {
      readySince ??= Date.now();
      return available(readySince, { checks });
    }
    readySince = undefined;
    return {
      status: 503,
      body: {
        status: "Server not available",
        upSince: GO_ZERO_TIME,
        uptime: "",
        reason: failed.map((c) => `${c.check}: ${c.detail}`).join("; "),
        checks,
      },
    };
  };
  return [
    { method: "GET", path: "/healthz", handle: alive },
    { method: "GET", path: "/-/healthy", handle: alive },
    { method: "GET", path: "/-/ready", handle: ready },
    {
      method: "GET",
      path: "/status",
      handle: () => ({ status: 200, body: { ...ctx.status(), posted_alerts: ctx.intake.status() } }),
    },
  ];
}
