// `alertpipe test-alert`: one message through each configured exporter, outcome awaited.
import type { Exporter } from "../component.ts";

export interface ProbeResult {
  readonly exporter: string;
  /** Redacted destination, e.g. `hooks.slack.com/services/T***`. */
  readonly destination: string;
  readonly ok: boolean;
  readonly status?: number;
  readonly reason?: string;
}

/** An exporter that can send a test message straight to its destinations, bypassing throttle. */
export interface ProbeableExporter extends Exporter {
  probe(): Promise<readonly ProbeResult[]>;
}

export function isProbeable(exporter: Exporter): exporter is ProbeableExporter {
  return typeof (exporter as Partial<ProbeableExporter>).probe === "function";
}
