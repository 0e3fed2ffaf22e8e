// Replaying captures through a pipeline.yaml in virtual time: each request is fed at its own time
// (its newest point; never before the previous one, as arrivals never go back), through the OTLP
// receiver's normalizer, and every notice the exporters would have got is recorded.
import type { Logger } from "pino";
import type { ResolvedConfig } from "../config/load.ts";
import { OtlpRequestError } from "../receivers/otlp/fields.ts";
import { type RecordedNotice, VirtualPipeline } from "../virtual/pipeline.ts";
import { type CaptureLine, mergeCaptures, type SkippedLine } from "./source.ts";

export interface ReplayOptions {
  readonly files: readonly string[];
  readonly config: ResolvedConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Only requests at or after this time (ms); the pipeline starts empty then. */
  readonly from?: number;
  /** Only requests up to this time (ms); the replay runs the clock on to it. */
  readonly to?: number;
  readonly logger?: Logger;
  /** A line that could not be replayed (not JSON, not OTLP, rejected as malformed). */
  readonly onSkipped?: (skipped: SkippedLine) => void;
}

export interface ReplayStats {
  requests: number;
  metricRequests: number;
  traceRequests: number;
  logRequests: number;
  points: number;
  spans: number;
  logRecords: number;
  /** Points/spans/log records the normalizer rejected (as the live receiver would have, with a partial success). */
  rejected: number;
  skippedLines: number;
  /** Requests outside --from/--to. */
  outsideRange: number;
}

export interface ReplayResult {
  readonly notices: readonly RecordedNotice[];
  /** Rules of the pipeline (every one, with or without notices). */
  readonly rules: readonly string[];
  /** Virtual time the replay started and ended, ms (undefined when there was nothing to replay). */
  readonly start?: number;
  readonly end?: number;
  readonly stats: ReplayStats;
}

/**
 * The replayed receiver "started" this long before the first request: a stream begun in that
 * minute (an SDK started just after its collector, exporting every 60 s by default) counts whole
 * from its first point, as it did live; an older one only sets a baseline.
 */
const RECEIVER_STARTED_BEFORE_MS = 60_000;

export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const stats: ReplayStats = {
    requests: 0,
    metricRequests: 0,
    traceRequests: 0,
    logRequests: 0,
    points: 0,
    spans: 0,
    logRecords: 0,
    rejected: 0,
    skippedLines: 0,
    outsideRange: 0,
  };
  const skip = (s: SkippedLine) => {
    stats.skippedLines++;
    options.onSkipped?.(s);
  };
  const { from, to } = options;
  let run: VirtualPipeline | undefined;
  let start = 0;
  for await (const line of mergeCaptures(options.files, skip)) {
    stats.requests++;
    if ((from !== undefined && line.time < from) || (to !== undefined && line.time > to)) {
      stats.outsideRange++;
      continue;
    }
    if (!run) {
      start = from ?? line.time;
      run = await VirtualPipeline.create({
        config: options.config,
        env: options.env,
        start,
        receiverStartedAt: start - RECEIVER_STARTED_BEFORE_MS,
        logger: options.logger,
      });
    }
    feed(run, line, stats, skip);
  }
  if (!run) return { notices: [], rules: [], stats };
  const end = Math.max(to ?? run.now(), run.now());
  run.advanceTo(end);
  await run.finish();
  return { notices: run.notices, rules: run.rules.ruleNames(), start, end, stats };
}

function feed(
  run: VirtualPipeline,
  line: CaptureLine,
  stats: ReplayStats,
  skip: (s: SkippedLine) => void,
): void {
  run.advanceTo(Math.max(line.time, run.now()));
  try {
    const result = run.ingest(line.signal, line.request);
    if (line.signal === "metrics") {
      stats.metricRequests++;
      stats.points += result.items.length;
    } else if (line.signal === "traces") {
      stats.traceRequests++;
      stats.spans += result.items.length;
    } else {
      stats.logRequests++;
      stats.logRecords += result.items.length;
    }
    stats.rejected += result.rejected;
  } catch (err) {
    if (!(err instanceof OtlpRequestError)) throw err;
    skip({ file: line.file, line: line.line, reason: `rejected as malformed: ${err.message}` });
  }
}
