// A pino logger whose JSON lines are kept in memory, to assert what gets logged (and what never does).
import { Writable } from "node:stream";
import { type Logger, pino } from "pino";

export function captureLogger(level = "debug"): {
  logger: Logger;
  lines: string[];
  records: () => Record<string, unknown>[];
} {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(line);
      done();
    },
  });
  const logger = pino({ level }, stream);
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
