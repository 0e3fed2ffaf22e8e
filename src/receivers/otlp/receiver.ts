// The `otlp` receiver: an OTLP/HTTP server (node:http) whose normalized signals go out on a hot Subject.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Observable, Subject } from "rxjs";
import type { ComponentContext, ComponentStatus, Receiver } from "../../component.ts";
import { ComponentConfigError, defineFactory } from "../../component.ts";
import { warnIfAllInterfaces } from "../../net.ts";
import type { Item } from "../../signal.ts";
import { BaselinePersistence, baselineNamespace } from "./baseline-store.ts";
import { CaptureWriter } from "./capture.ts";
import {
  type HostPort,
  normalizerOptions,
  type OtlpReceiverConfig,
  otlpReceiverConfigSchema,
  parseEndpoint,
} from "./config.ts";
import { createOtlpHandler, type OtlpCounters } from "./http-handler.ts";
import { OtlpNormalizer } from "./normalize.ts";
import { newOtlpCounters } from "./signals.ts";

export class OtlpReceiver implements Receiver {
  readonly signals: Observable<Item>;
  readonly normalizer: OtlpNormalizer;
  private readonly subject = new Subject<Item>();
  private readonly config: OtlpReceiverConfig;
  private readonly context: ComponentContext;
  private readonly counters: OtlpCounters = newOtlpCounters();
  private server: Server | undefined;
  private bound: HostPort | undefined;
  /** Cumulative baselines kept in the state store across restarts (when there is one). */
  private readonly baselines: BaselinePersistence | undefined;
  private readonly capture: CaptureWriter | undefined;

  constructor(config: OtlpReceiverConfig, context: ComponentContext) {
    this.config = config;
    this.context = context;
    this.signals = this.subject.asObservable();
    const now = () => context.scheduler.now();
    this.normalizer = new OtlpNormalizer({ ...normalizerOptions(config), now });
    this.baselines =
      context.state &&
      new BaselinePersistence(this.normalizer.cumulative, {
        store: context.state,
        namespace: baselineNamespace(context.id),
        scheduler: context.scheduler,
        logger: context.logger,
      });
    this.capture =
      config.capture &&
      new CaptureWriter(config.capture, { configDir: context.configDir, now, logger: context.logger });
  }

  /** The address actually bound (the real port when the endpoint asked for port 0). */
  address(): HostPort {
    if (!this.bound) throw new Error(`otlp receiver ${this.context.id} is not listening`);
    return this.bound;
  }

  async start(): Promise<void> {
    if (this.server) return;
    this.capture?.open();
    if (this.baselines) {
      await this.baselines.restore();
      this.baselines.start();
    }
    return this.listen();
  }

  private listen(): Promise<void> {
    const endpoint = this.config.endpoint;
    const target = parseEndpoint(endpoint);
    if (!target)
      return Promise.reject(new ComponentConfigError(["endpoint"], `invalid endpoint "${endpoint}"`));
    const handler = createOtlpHandler({
      maxBodySize: this.config.max_request_body_size,
      token: this.config.auth.token,
      normalize: (signal, req) => this.normalizer.normalize(signal, req),
      emit: (item) => this.subject.next(item),
      capture: this.capture && ((request) => this.capture?.write(request)),
      counters: this.counters,
      logger: this.context.logger,
    });
    const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, handler);
    server.on("clientError", (_err, socket) => {
      this.counters.bad_requests++;
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      else socket.destroy();
    });
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const why = err.code === "EADDRINUSE" ? "address already in use" : err.message;
        reject(new ComponentConfigError(["endpoint"], `cannot listen on ${endpoint}: ${why}`));
      };
      server.once("error", onError);
      server.listen(target.port, target.host, () => {
        server.off("error", onError);
        server.on("error", (err) => this.context.logger.error({ err }, "otlp receiver server error"));
        const addr = server.address() as AddressInfo;
        this.server = server;
        this.bound = { host: addr.address, port: addr.port };
        this.context.logger.info({ endpoint: `${addr.address}:${addr.port}` }, "otlp receiver listening");
        warnIfAllInterfaces(this.context.logger, "otlp receiver", endpoint, addr.port);
        resolve();
      });
    });
  }

  listening(): boolean {
    return this.server?.listening === true;
  }

  async shutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
    await this.baselines?.stop();
    this.capture?.close();
    this.subject.complete();
  }

  status(): ComponentStatus {
    const endpoint = this.bound ? `${this.bound.host}:${this.bound.port}` : this.config.endpoint;
    const persisted = this.baselines && {
      delta_baselines_restored: this.baselines.restored,
      delta_baselines_written: this.baselines.written,
      delta_baseline_write_failures: this.baselines.failures,
    };
    return {
      endpoint,
      ...this.counters,
      delta_series: this.normalizer.seriesCount,
      delta_bytes_estimate: this.normalizer.cumulative.bytes,
      ...persisted,
      ...this.capture?.status(),
    };
  }
}

export const otlpReceiverFactory = defineFactory({
  kind: "receiver",
  type: "otlp",
  configSchema: otlpReceiverConfigSchema,
  create: (config, context) => new OtlpReceiver(config, context),
});
