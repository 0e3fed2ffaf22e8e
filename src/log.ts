import { type DestinationStream, type Logger, pino } from "pino";
import { redactDeep, redactSecrets } from "./secrets.ts";

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stderr by default so stdout stays for alerts printed by the console exporter. */
  destination?: DestinationStream;
}

/** The process logger: JSON lines, every string passed through secret redaction. */
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
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}
