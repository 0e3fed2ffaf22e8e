// The environment variables alertpipe reads, for `alertpipe --help` and each command's help. The
// README's tables are the reference; test/cli-help.test.ts checks they list the same names, in the
// same order, with the same defaults.

/** Who reads a variable: the shipped pipeline.yaml (`${env:}`), the collector itself, the API clients, register. */
export type EnvScope = "pipeline" | "collector" | "client" | "register";

export interface EnvVar {
  readonly name: string;
  /** As the README's table writes it (without backticks). */
  readonly default: string;
  readonly meaning: string;
  readonly scopes: readonly EnvScope[];
  /** The users' guide's own variables, or one alertpipe added. */
  readonly guide: boolean;
}

const guide = (name: string, fallback: string, meaning: string): EnvVar => ({
  name,
  default: fallback,
  meaning,
  scopes: ["pipeline"],
  guide: true,
});
const added = (
  name: string,
  fallback: string,
  meaning: string,
  scopes: readonly EnvScope[] = ["pipeline"],
): EnvVar => ({
  name,
  default: fallback,
  meaning,
  scopes,
  guide: false,
});

const RULE_NAMES: ReadonlyArray<[string, string, string, string]> = [
  ["REVIEW_RATE", "50", "10", "review rate spike: % increase over the baseline"],
  ["RPC_ERROR", "10", "5", "RPC error rate, %"],
  ["SYSTEM_HEALTH", "30", "5", "health score below which the system is unhealthy"],
  ["FETCH_LATENCY", "60", "15", "fetch latency p95, seconds"],
  ["VALIDATION_ERROR", "20", "10", "validation error rate, %"],
  ["DATABASE_FAILURE", "5", "5", "database failures in the rate window"],
  ["MEMORY_USAGE", "85", "30", "memory used, %"],
  ["DISK_USAGE", "90", "15", "disk used per mountpoint, %"],
];

export const ENV_VARS: readonly EnvVar[] = [
  guide("SENTRY_DSN", "unset (Sentry off)", "Sentry project DSN"),
  guide("SENTRY_ENVIRONMENT", "production", "environment tag on Sentry events and Slack messages"),
  guide("SLACK_WEBHOOK_URL", "unset (Slack off)", "incoming webhook; must be HTTPS"),
  guide("SLACK_ALERTS_ENABLED", "true", "false turns Slack off"),
  ...RULE_NAMES.map(([rule, threshold, , meaning]) => guide(`ALERT_${rule}_THRESHOLD`, threshold, meaning)),
  ...RULE_NAMES.map(([rule, , cooldown]) =>
    guide(
      `ALERT_${rule}_COOLDOWN`,
      cooldown,
      "minutes (fractions allowed) or a duration (10m, 90s), per alert",
    ),
  ),
  guide("ALERT_THROTTLE_WINDOW", "300", "seconds or a duration (5m), rolling"),
  guide("ALERT_MAX_PER_WINDOW", "10", "messages per window per destination"),
  guide(
    "ALERT_CHECK_INTERVAL",
    "60",
    "seconds (fractions allowed) or a duration (500ms): the tick for resolves, stale data, escalation",
  ),
  guide("METRICS_COLLECTION_INTERVAL", "30", "seconds or a duration between host metric samples"),
  guide("ALERT_DEBUG_MODE", "false", "debug logging"),
  guide("ALERT_LOG_ATTEMPTS", "true", "log every delivery attempt (webhook redacted)"),
  added("ALERT_RATE_WINDOW", "300", "seconds or a duration: the window of rates, ratios, percentiles"),
  added("ALERT_BASELINE_WINDOW", "3600", "seconds or a duration: the baseline a spike is compared with"),
  added("ALERT_ESCALATION_DELAY", "15", "minutes or a duration a critical alert fires before escalation"),
  added(
    "ALERT_INCIDENTS_ENABLED",
    "true",
    "false sends every alert on its own instead of grouping incidents",
  ),
  added("ALERT_INCIDENT_WINDOW", "120", "seconds or a duration (2m) a related alert may join an incident"),
  added("SLACK_ESCALATION_WEBHOOK_URL", "unset", "escalations go here; else the same channel with @channel"),
  added(
    "ALERTPIPE_OTLP_ENDPOINT",
    "127.0.0.1:4318",
    "OTLP/HTTP listen address (0.0.0.0:4318: all interfaces)",
  ),
  added(
    "ALERTPIPE_STATUS_ENDPOINT",
    "127.0.0.1:13133",
    "listen address of the health probes, /status, /metrics, /ui/ and the Alertmanager API; where silence/alerts call",
    ["pipeline", "client"],
  ),
  added(
    "ALERTPIPE_STATUS_TOKEN",
    "unset (mutations open)",
    "bearer token of mutating API calls (≥ 16 characters); silence/alerts send it",
    ["pipeline", "client"],
  ),
  added(
    "ALERTPIPE_STATE",
    "sqlite:.alertpipe/state.db for run, else memory",
    "state store: memory, sqlite:PATH, redis://host:port/db",
    ["collector"],
  ),
  added("ALERTPIPE_INSTANCE_ID", "the host name", "this instance's stable name in leases and /status", [
    "collector",
  ]),
  added("ALERTPIPE_CONFIG", "./pipeline.yaml", "pipeline.yaml for alertpipe/register", ["register"]),
  added("ALERTPIPE_DISABLED", "false", "true makes alertpipe/register do nothing", ["register"]),
];

/** `[NAME, "meaning (default: …)"]` for the variables in any of `scopes`, in the README's order. */
export function envRows(scopes: readonly EnvScope[]): Array<[string, string]> {
  return ENV_VARS.filter((v) => v.scopes.some((s) => scopes.includes(s))).map((v) => [
    v.name,
    `${v.meaning} (default: ${v.default})`,
  ]);
}
