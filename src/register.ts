// `node --import alertpipe/register app.js`: auto-instrument the app with OpenTelemetry and run the
// alert pipeline (pipeline.yaml from ALERTPIPE_CONFIG, ./pipeline.yaml, or the package default) inside
// it, fed by the app's own metrics and spans. No code change in the app. On SIGTERM/SIGINT and when
// the app's work is done (beforeExit), the SDK is flushed into the pipeline and the pipeline drained.
// Nothing is imported before ALERTPIPE_DISABLED is checked: disabled, register costs no module load.
import type { InprocessAlertingHandle } from "./inproc/attach.ts";

/** Longest a shutdown may take before the process exits anyway (ms). */
const SHUTDOWN_TIMEOUT_MS = 10_000;

async function shutdownWithin(handle: InprocessAlertingHandle, ms: number): Promise<void> {
  let timeout: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((done) => {
    timeout = setTimeout(() => {
      process.stderr.write(`alertpipe: shutdown took over ${ms} ms; exiting without waiting further\n`);
      done();
    }, ms);
    timeout.unref();
  });
  await Promise.race([handle.shutdown(), expired]);
  clearTimeout(timeout);
}

function installExitHooks(handle: InprocessAlertingHandle): void {
  process.once("beforeExit", () => {
    void shutdownWithin(handle, SHUTDOWN_TIMEOUT_MS);
  });
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const onSignal = () => {
      void shutdownWithin(handle, SHUTDOWN_TIMEOUT_MS).finally(() => {
        process.removeListener(signal, onSignal);
        // Listening replaced Node's default (exit); restore it unless the app handles the signal itself.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    };
    process.once(signal, onSignal);
  }
}

if (process.env.ALERTPIPE_DISABLED === "true") {
  process.stderr.write("alertpipe: ALERTPIPE_DISABLED=true, not starting\n");
} else {
  try {
    const { startInprocessAlerting } = await import("./inproc/attach.ts");
    installExitHooks(await startInprocessAlerting());
  } catch (err) {
    // Monitoring must not take the app down: say why loudly and let the app run unmonitored.
    process.stderr.write(`alertpipe: not started: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}
