// Self-metrics of receivers, rules and notice processors, shaped like the OTel Collector's own
// (`otelcol_receiver_accepted_metric_points` → `alertpipe_receiver_accepted_metric_points_total`).
// Components are recognised by what their status reports, never by type name.
import type { ComponentView, MetricSpec, Sample } from "./metric-specs.ts";
import { num, perComponent } from "./metric-specs.ts";

/** A receiver's counter, under the first of `keys` its status has (log names vary by receiver). */
function receiverCounter(name: string, help: string, keys: readonly string[]): MetricSpec {
  return {
    name,
    help,
    type: "counter",
    labels: ["receiver"],
    *samples(s) {
      for (const r of s.receivers) {
        const key = keys.find((k) => num(r.status[k]) !== undefined);
        if (key) yield [{ receiver: r.id }, num(r.status[key]) as number];
      }
    },
  };
}

/** Rule processors: their status names the rule and counts the series it tracks. */
const rules = (views: readonly ComponentView[]) =>
  views.filter((v) => typeof v.status.rule === "string" && num(v.status.series) !== undefined);

function ruleSpec(name: string, help: string, type: MetricSpec["type"], key: string): MetricSpec {
  return {
    name,
    help,
    type,
    labels: ["rule"],
    *samples(s) {
      for (const r of rules(s.processors)) {
        const value = num(r.status[key]);
        if (value !== undefined) yield [{ rule: r.status.rule as string }, value];
      }
    },
  };
}

/** A notice processor's field, for those whose status has `marker` (what tells the kind apart). */
function processorSpec(
  name: string,
  help: string,
  type: MetricSpec["type"],
  marker: string,
  key: string,
): MetricSpec {
  return {
    name,
    help,
    type,
    labels: ["processor"],
    samples: (s) =>
      perComponent(
        s.processors.filter((p) => p.status[marker] !== undefined),
        "processor",
        key,
      ),
  };
}

function* byKey(
  record: Readonly<Record<string, number>>,
  label: string,
  keys?: readonly string[],
): Iterable<Sample> {
  for (const key of keys ?? Object.keys(record)) yield [{ [label]: key }, record[key] ?? 0];
}

export const receiverMetrics: readonly MetricSpec[] = [
  receiverCounter(
    "alertpipe_receiver_accepted_metric_points_total",
    "Metric points accepted into the pipeline, per receiver.",
    ["accepted_points", "accepted_metric_points"],
  ),
  receiverCounter(
    "alertpipe_receiver_refused_metric_points_total",
    "Metric points refused (invalid, reported back as partial success), per receiver.",
    ["rejected_points", "refused_metric_points"],
  ),
  receiverCounter(
    "alertpipe_receiver_accepted_spans_total",
    "Spans accepted into the pipeline, per receiver.",
    ["accepted_spans"],
  ),
  receiverCounter("alertpipe_receiver_refused_spans_total", "Spans refused, per receiver.", [
    "rejected_spans",
    "refused_spans",
  ]),
  receiverCounter(
    "alertpipe_receiver_accepted_log_records_total",
    "Log records accepted into the pipeline, per receiver.",
    ["accepted_log_records", "accepted_logs"],
  ),
  receiverCounter("alertpipe_receiver_refused_log_records_total", "Log records refused, per receiver.", [
    "rejected_log_records",
    "rejected_logs",
    "refused_log_records",
  ]),
  receiverCounter(
    "alertpipe_receiver_refused_requests_total",
    "Requests answered with an error (bad body, auth, size, path), per receiver.",
    ["bad_requests"],
  ),
  receiverCounter("alertpipe_scraper_scrapes_total", "Host metric scrapes, per receiver.", ["scrapes"]),
  receiverCounter(
    "alertpipe_scraper_errored_scrapes_total",
    "Host metric scrapes that failed, per receiver.",
    ["failures"],
  ),
];

export const ruleMetrics: readonly MetricSpec[] = [
  {
    name: "alertpipe_rule_alerts_total",
    help: "Alerts a rule raised, by status: firing (a new breach), resolved, escalated (by the escalation processor).",
    type: "counter",
    labels: ["rule", "status"],
    *samples(s) {
      for (const r of rules(s.processors)) {
        const rule = r.status.rule as string;
        yield [{ rule, status: "firing" }, num(r.status.alerts_fired) ?? 0];
        yield [{ rule, status: "resolved" }, num(r.status.alerts_resolved) ?? 0];
      }
      const escalated = new Map<string, number>();
      for (const p of s.processors) {
        const byRule = p.status.escalated_by_rule;
        if (!byRule || typeof byRule !== "object") continue;
        for (const [rule, n] of Object.entries(byRule))
          escalated.set(rule, (escalated.get(rule) ?? 0) + (num(n) ?? 0));
      }
      for (const [rule, n] of escalated) yield [{ rule, status: "escalated" }, n];
    },
  },
  ruleSpec("alertpipe_rule_firing_alerts", "Alerts firing now, per rule.", "gauge", "firing"),
  ruleSpec(
    "alertpipe_rule_firing_awaiting_data_alerts",
    "Firing alerts restored after a restart and not yet confirmed by data, per rule.",
    "gauge",
    "firing_awaiting_data",
  ),
  ruleSpec("alertpipe_rule_series", "Series (rule + group labels) a rule tracks now.", "gauge", "series"),
  ruleSpec("alertpipe_rule_series_limit", "Most series a rule tracks (max_series).", "gauge", "max_series"),
  ruleSpec(
    "alertpipe_rule_series_over_limit_total",
    "Series a rule refused to track past max_series.",
    "counter",
    "series_over_limit",
  ),
  ruleSpec(
    "alertpipe_rule_signals_matched_total",
    "Metric points and spans a rule evaluated.",
    "counter",
    "signals_matched",
  ),
  ruleSpec(
    "alertpipe_rule_state_bytes",
    "Estimated memory of a rule's windows and baselines, bytes.",
    "gauge",
    "state_bytes_estimate",
  ),
];

export const processorMetrics: readonly MetricSpec[] = [
  processorSpec(
    "alertpipe_cooldown_suppressed_notices_total",
    "Re-fires held back by a cooldown.",
    "counter",
    "active_cooldowns",
    "suppressed",
  ),
  processorSpec(
    "alertpipe_cooldown_released_notices_total",
    "Held re-fires sent when their cooldown ended.",
    "counter",
    "active_cooldowns",
    "released",
  ),
  processorSpec(
    "alertpipe_cooldown_active",
    "Fingerprints in cooldown now.",
    "gauge",
    "active_cooldowns",
    "active_cooldowns",
  ),
  processorSpec(
    "alertpipe_silence_muted_notices_total",
    "Notices muted by a silence (recorded, not sent).",
    "counter",
    "muted_notices",
    "muted_notices",
  ),
  processorSpec(
    "alertpipe_silence_muted_alerts",
    "Alerts muted now.",
    "gauge",
    "muted_notices",
    "muted_alerts",
  ),
  processorSpec(
    "alertpipe_silence_released_alerts_total",
    "Muted alerts sent on their own when their silence ended (still firing).",
    "counter",
    "muted_notices",
    "released",
  ),
  processorSpec(
    "alertpipe_silence_digests_total",
    '"While silenced" digests of what ended silences muted.',
    "counter",
    "muted_notices",
    "digests_sent",
  ),
  processorSpec(
    "alertpipe_throttle_held_alerts",
    "Alerts the throttle holds now (over max_per_window).",
    "gauge",
    "sent_in_window",
    "held",
  ),
  processorSpec(
    "alertpipe_throttle_held_digests",
    "Digests made upstream (a silence's) the throttle holds now.",
    "gauge",
    "sent_in_window",
    "held_digests",
  ),
  processorSpec(
    "alertpipe_throttle_digested_alerts_total",
    "Held alerts sent in the throttle's digests.",
    "counter",
    "sent_in_window",
    "digested",
  ),
  processorSpec(
    "alertpipe_throttle_digests_total",
    "Digests the throttle sent.",
    "counter",
    "sent_in_window",
    "digests_sent",
  ),
  processorSpec(
    "alertpipe_throttle_admitted_messages_total",
    "Messages the throttle let through (alerts, digests).",
    "counter",
    "sent_in_window",
    "sent_total",
  ),
  processorSpec(
    "alertpipe_throttle_window_limit",
    "max_per_window of the throttle.",
    "gauge",
    "sent_in_window",
    "max_per_window",
  ),
  {
    name: "alertpipe_throttle_window_messages",
    help: "Messages counted in the current rolling window, per route.",
    type: "gauge",
    labels: ["processor", "route"],
    *samples(s) {
      for (const p of s.processors) {
        const window = p.status.sent_in_window;
        if (!window || typeof window !== "object") continue;
        for (const [route, n] of Object.entries(window))
          if (num(n) !== undefined) yield [{ processor: p.id, route }, n as number];
      }
    },
  },
  processorSpec(
    "alertpipe_escalation_escalated_total",
    "Alerts sent again as escalated.",
    "counter",
    "pending_escalations",
    "escalated",
  ),
  processorSpec(
    "alertpipe_escalation_pending",
    "Firing alerts with an escalation still to come.",
    "gauge",
    "pending_escalations",
    "pending_escalations",
  ),
];

export const alertMetrics: readonly MetricSpec[] = [
  {
    name: "alertpipe_alerts",
    help: "Firing alerts by Alertmanager state: active, suppressed (silenced), unprocessed (no notice sent yet).",
    type: "gauge",
    labels: ["state"],
    samples: (s) => byKey(s.alertStates, "state", ["active", "suppressed", "unprocessed"]),
  },
  {
    name: "alertpipe_silences",
    help: "Silences by state: active, pending, expired (kept 120 h).",
    type: "gauge",
    labels: ["state"],
    samples: (s) => byKey(s.silenceStates, "state", ["active", "pending", "expired"]),
  },
  {
    name: "alertpipe_api_posted_alerts_total",
    help: "Alerts posted to /api/v2/alerts, by what became of them: received, fired, refreshed, resolved, stale_resolved, resolves_ignored.",
    type: "counter",
    labels: ["outcome"],
    samples: (s) =>
      byKey(
        s.postedAlerts,
        "outcome",
        Object.keys(s.postedAlerts).filter((k) => k !== "firing"),
      ),
  },
  {
    name: "alertpipe_api_posted_alerts_firing",
    help: "Posted alerts firing now.",
    type: "gauge",
    labels: [],
    samples: (s) => [[{}, s.postedAlerts.firing ?? 0]],
  },
];
