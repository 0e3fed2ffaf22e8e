// `alertpipe test-alert` support: one test message through each configured exporter's
// destinations (bypassing throttle and queue), outcomes collected per destination.
import type { Exporter, ProbeResult } from "../component.ts";

export interface DeliveryTestResult extends ProbeResult {
  /** Exporter id, e.g. "slack" or "sentry/errors". */
  readonly exporter: string;
}

/** Probe every configured exporter that can be probed; unconfigured ones are skipped. */
export async function testDelivery(
  exporters: ReadonlyArray<{ readonly id: string; readonly instance: Exporter }>,
): Promise<DeliveryTestResult[]> {
  const results: DeliveryTestResult[] = [];
  for (const { id, instance } of exporters) {
    if (!instance.configured || !instance.probe) continue;
    try {
      for (const r of await instance.probe()) results.push({ exporter: id, ...r });
    } catch (error) {
      results.push({ exporter: id, destination: "(unknown)", ok: false, reason: (error as Error).message });
    }
  }
  return results;
}
