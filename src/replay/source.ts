// Reading captures: OTLP JSON lines as the OpenTelemetry Collector's file exporter writes them
// (and alertpipe's otlp receiver `capture`): one ExportMetricsServiceRequest, ExportTraceServiceRequest
// or ExportLogsServiceRequest per line. Several files are merged by time, each read in its own order.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";

export type CaptureSignal = "metrics" | "traces" | "logs";

export interface CaptureLine {
  readonly file: string;
  /** 1-based line number in `file`. */
  readonly line: number;
  readonly signal: CaptureSignal;
  readonly request: Record<string, unknown>;
  /** Latest point time (metrics) or span end (traces) in the request, ms; the file's previous one if none. */
  readonly time: number;
}

export interface SkippedLine {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

type Rec = Record<string, unknown>;
const asList = (v: unknown): Rec[] => (Array.isArray(v) ? (v as Rec[]) : []);

function nanosToMs(v: unknown): number {
  if (typeof v === "number") return v / 1e6;
  if (typeof v === "string" && v !== "") return Number(v) / 1e6;
  return Number.NaN;
}

const POINT_KINDS = ["gauge", "sum", "histogram", "exponentialHistogram", "summary"] as const;

/** The time a live receiver would have got the request: its newest point or span end. */
export function requestTime(signal: CaptureSignal, request: Rec): number {
  let latest = Number.NEGATIVE_INFINITY;
  const see = (v: unknown) => {
    const ms = nanosToMs(v);
    if (ms > latest) latest = ms;
  };
  if (signal === "metrics") {
    for (const rm of asList(request.resourceMetrics))
      for (const sm of asList(rm.scopeMetrics))
        for (const m of asList(sm.metrics))
          for (const kind of POINT_KINDS) {
            const data = m[kind] as Rec | undefined;
            if (data) for (const p of asList(data.dataPoints)) see(p.timeUnixNano);
          }
  } else if (signal === "traces") {
    for (const rs of asList(request.resourceSpans))
      for (const ss of asList(rs.scopeSpans)) for (const s of asList(ss.spans)) see(s.endTimeUnixNano);
  } else {
    for (const rl of asList(request.resourceLogs))
      for (const sl of asList(rl.scopeLogs))
        for (const r of asList(sl.logRecords)) see(r.timeUnixNano ?? r.observedTimeUnixNano);
  }
  return latest;
}

function signalOf(request: Rec): CaptureSignal | undefined {
  if ("resourceMetrics" in request) return "metrics";
  if ("resourceSpans" in request) return "traces";
  if ("resourceLogs" in request) return "logs";
  return undefined;
}

/** One file's lines in order; unreadable lines go to `skipped` (a capture cut off mid-line, say). */
export async function* readCaptureFile(
  file: string,
  skipped: (s: SkippedLine) => void,
): AsyncGenerator<CaptureLine> {
  const raw = createReadStream(file);
  const input = file.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  let previous = Number.NEGATIVE_INFINITY;
  for await (const text of lines) {
    n++;
    if (text.trim() === "") continue;
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch (err) {
      skipped({ file, line: n, reason: `not JSON: ${(err as Error).message.slice(0, 120)}` });
      continue;
    }
    const signal = request && typeof request === "object" ? signalOf(request as Rec) : undefined;
    if (!signal) {
      skipped({
        file,
        line: n,
        reason: "not an OTLP request (no resourceMetrics, resourceSpans or resourceLogs)",
      });
      continue;
    }
    const t = requestTime(signal, request as Rec);
    const time = Number.isFinite(t) ? t : previous;
    previous = Math.max(previous, time);
    yield { file, line: n, signal, request: request as Rec, time };
  }
}

/** Every file's lines merged by time (ties: the earlier file first); each file keeps its own order. */
export async function* mergeCaptures(
  files: readonly string[],
  skipped: (s: SkippedLine) => void,
): AsyncGenerator<CaptureLine> {
  const readers = files.map((f) => readCaptureFile(f, skipped));
  const heads: (CaptureLine | undefined)[] = [];
  for (const r of readers) heads.push((await r.next()).value ?? undefined);
  for (;;) {
    let pick = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && (pick < 0 || h.time < (heads[pick] as CaptureLine).time)) pick = i;
    }
    if (pick < 0) return;
    yield heads[pick] as CaptureLine;
    heads[pick] = (await (readers[pick] as AsyncGenerator<CaptureLine>).next()).value ?? undefined;
  }
}
