import { createRequire } from "node:module";
import { type DestinationStream, type Logger, pino } from "pino";
import type { PrettyOptions } from "pino-pretty";
import { redactDeep, redactSecrets } from "./secrets.ts";

/** `auto`: pretty lines on a terminal, JSON lines otherwise (a file, a pipe, a log shipper). */
export type LogFormat = "auto" | "json" | "pretty";

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stderr by default so stdout stays for alerts printed by the console exporter. */
  destination?: DestinationStream;
  /** For the default destination (stderr); default auto. */
  format?: LogFormat;
}

/** The process logger: JSON lines (pretty ones on a terminal), every string passed through secret redaction. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { name: "alertpipe" },
      formatters: { log: (obj) => redactDeep(obj) },
      hooks: {
        logMethod(args, method) {
          const safe = args.map((a) => (typeof a === "string" ? redactSecrets(a) : a)) as Parameters<
            typeof method
          >;
          method.apply(this, safe);
        },
      },
    },
    options.destination ?? stderrDestination(options.format ?? "auto"),
  );
}

/**
 * stderr as JSON lines, or through pino-pretty when a person reads it: the line is redacted before
 * it is prettified. pino-pretty is loaded only then, so a collector under a supervisor never pays.
 */
function stderrDestination(format: LogFormat): DestinationStream {
  const pretty = format === "pretty" || (format === "auto" && process.stderr.isTTY === true);
  if (!pretty) return pino.destination({ dest: 2, sync: true });
  const build = createRequire(import.meta.url)("pino-pretty") as (
    options: PrettyOptions,
  ) => DestinationStream;
  return build({
    destination: 2,
    sync: true,
    // Node's hasColors honours NO_COLOR and FORCE_COLOR.
    colorize: process.stderr.hasColors?.() ?? false,
    singleLine: true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,name",
  });
}
