// Assembly: one stream per service.pipelines entry — receivers merged, processors in listed order,
// each item handed to every exporter that accepts its kind.
import type { Logger } from "pino";
import {
  merge,
  type Observable,
  retry,
  type SchedulerLike,
  Subject,
  type Subscription,
  takeUntil,
  timer,
} from "rxjs";
import { consoleExporterFactory } from "../exporters/console.ts";
import {
  ComponentConfigError,
  type ComponentContext,
  type Exporter,
  type Processor,
  type Receiver,
} from "./component.ts";
import { ConfigError, formatPath } from "./config/errors.ts";
import type { ComponentSpec, PipelineSpec, ResolvedConfig } from "./config/load.ts";
import { queueOptionsFrom } from "./delivery/config.ts";
import { withDeliveryQueue } from "./delivery/queued-exporter.ts";
import { fuseProcessors } from "./fuse.ts";
import type { Item } from "./signal.ts";
import type { StateStore } from "./state/store.ts";
import type { NoticeSink } from "./telemetry/notices.ts";

export interface BuiltComponent<T> {
  readonly id: string;
  readonly type: string;
  readonly instance: T;
  readonly pipeline?: string;
}

export interface BuildOptions {
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly state?: StateStore;
  /** Told what became of each notice (the web view's timeline, the delivery latency metric). */
  readonly notices?: NoticeSink;
}

const NOTICE_KINDS: readonly Item["kind"][] = ["alert", "digest", "error"];

type Section = "receivers" | "processors" | "exporters";

/** The running pipelines of one collector: built components and the live subscriptions. */
export class PipelineGraph {
  readonly receivers: BuiltComponent<Receiver>[] = [];
  readonly processors: BuiltComponent<Processor>[] = [];
  readonly exporters: BuiltComponent<Exporter>[] = [];
  /** Items submitted through the API enter here (into the first pipeline). */
  private readonly injected = new Subject<Item>();
  private readonly stop = new Subject<void>();
  private readonly subscriptions: Subscription[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly fallbackKinds = new Set<Item["kind"]>();

  private readonly config: ResolvedConfig;
  private readonly options: BuildOptions;

  private constructor(config: ResolvedConfig, options: BuildOptions) {
    this.config = config;
    this.options = options;
  }

  static async build(config: ResolvedConfig, options: BuildOptions): Promise<PipelineGraph> {
    const graph = new PipelineGraph(config, options);
    await graph.create();
    return graph;
  }

  /** Notice kinds printed on the console because no configured exporter takes them. */
  get consoleFallbackKinds(): ReadonlySet<Item["kind"]> {
    return this.fallbackKinds;
  }

  submit(item: Item): void {
    this.injected.next(item);
  }

  private context(id: string, spec?: ComponentSpec): ComponentContext {
    const { scheduler, logger, env, state, notices } = this.options;
    const configDir = spec?.configDir ?? this.config.configDir;
    return { id, scheduler, env, configDir, state, notices, logger: logger.child({ component: id }) };
  }

  private spec(section: string, id: string): ComponentSpec {
    const spec = this.config.components.get(`${section}:${id}`);
    if (!spec) throw new Error(`pipeline references undeclared ${section} ${id}`);
    return spec;
  }

  /** Run a component's create or start; a failure becomes a config problem at its key's file:line. */
  private async located<T>(section: Section, id: string, step: () => T | Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      const keyed = err instanceof ComponentConfigError;
      const path = keyed ? [section, id, ...err.path] : [section, id];
      const { problemAt } = this.config;
      if (problemAt) throw new ConfigError([problemAt(path, message, keyed ? err.related : [])]);
      throw keyed ? new Error(`${formatPath(path)}: ${message}`, { cause: err }) : err;
    }
  }

  private async create(): Promise<void> {
    const used = (section: "receivers" | "exporters") =>
      new Set(this.config.pipelines.flatMap((p) => p[section]));
    for (const id of used("receivers")) {
      const spec = this.spec("receivers", id);
      const instance = await this.located("receivers", id, () =>
        spec.factory.create(spec.config, this.context(id, spec)),
      );
      this.receivers.push({ id, type: spec.factory.type, instance: instance as Receiver });
    }
    for (const id of used("exporters")) {
      const spec = this.spec("exporters", id);
      const context = this.context(id, spec);
      let instance = (await this.located("exporters", id, () =>
        spec.factory.create(spec.config, context),
      )) as Exporter;
      // A plugin gets the same delivery guarantees as the built-ins: rate limit, retries, failure records.
      if (spec.module !== undefined && spec.delivery) {
        const { shutdown_timeout } = spec.delivery;
        instance = withDeliveryQueue(instance, {
          id,
          notices: context.notices,
          shutdownTimeoutMs: shutdown_timeout * 1000,
          ...queueOptionsFrom(spec.delivery, context),
        });
      }
      this.exporters.push({ id, type: spec.factory.type, instance });
    }
    // Processors are per pipeline, as in the OTel Collector: each pipeline has its own state.
    for (const pipeline of this.config.pipelines) {
      for (const id of pipeline.processors) {
        const spec = this.spec("processors", id);
        const instance = (await this.located("processors", id, () =>
          spec.factory.create(spec.config, this.context(id, spec)),
        )) as Processor;
        this.processors.push({ id, type: spec.factory.type, instance, pipeline: pipeline.name });
      }
    }
  }

  /** Start receivers and subscribe every pipeline. */
  async start(): Promise<void> {
    for (const [index, pipeline] of this.config.pipelines.entries()) this.wire(pipeline, index === 0);
    for (const r of this.receivers) await this.located("receivers", r.id, () => r.instance.start());
  }

  private wire(pipeline: PipelineSpec, takesInjected: boolean): void {
    const { logger } = this.options;
    const sources: Observable<Item>[] = pipeline.receivers.map((id) => this.receiver(id).signals);
    if (takesInjected) sources.push(this.injected);
    const operators = fuseProcessors(
      this.processors.filter((p) => p.pipeline === pipeline.name).map((p) => p.instance),
    );
    const exporters = this.exportersFor(pipeline);
    const processed = operators.reduce<Observable<Item>>((stream, op) => stream.pipe(op), merge(...sources));
    const subscription = processed
      .pipe(
        takeUntil(this.stop),
        // A processor bug must not end alerting: log it and resubscribe.
        retry({
          delay: (err: unknown) => {
            logger.error(
              { pipeline: pipeline.name, err: String(err) },
              "pipeline processor failed; resubscribing",
            );
            return timer(0, this.options.scheduler);
          },
        }),
      )
      .subscribe({ next: (item) => this.deliver(item, exporters, pipeline.name) });
    this.subscriptions.push(subscription);
  }

  private receiver(id: string): Receiver {
    const found = this.receivers.find((r) => r.id === id);
    if (!found) throw new Error(`receiver ${id} was not built`);
    return found.instance;
  }

  /**
   * The pipeline's exporters, plus the console for every notice kind no configured exporter takes
   * (alerts without Slack, exceptions without Sentry): a notice is printed rather than dropped.
   */
  private exportersFor(pipeline: PipelineSpec): BuiltComponent<Exporter>[] {
    const listed = this.exporters.filter((e) => pipeline.exporters.includes(e.id));
    const uncovered = NOTICE_KINDS.filter(
      (kind) => !listed.some((e) => e.instance.configured && e.instance.accepts.has(kind)),
    );
    if (uncovered.length === 0) return listed;
    const printer = consoleExporterFactory.create(
      { output: "stdout", json: false },
      this.context("console"),
    ) as Exporter;
    const id = `console (fallback for ${pipeline.name})`;
    const fallback = { id, type: "console", instance: { ...printer, accepts: new Set(uncovered) } };
    this.exporters.push(fallback);
    for (const kind of uncovered) this.fallbackKinds.add(kind);
    return [...listed, fallback];
  }

  private deliver(item: Item, exporters: readonly BuiltComponent<Exporter>[], pipeline: string): void {
    for (const e of exporters) {
      if (!e.instance.configured || !e.instance.accepts.has(item.kind)) continue;
      const done = e.instance
        .export([item])
        .catch((err: unknown) =>
          this.options.logger.error({ exporter: e.id, pipeline, err: String(err) }, "exporter failed"),
        )
        .finally(() => this.inflight.delete(done));
      this.inflight.add(done);
    }
  }

  /** Stop intake, let processors flush (digests), wait for exports, then drain exporters. */
  async shutdown(): Promise<void> {
    await Promise.allSettled(this.receivers.map((r) => r.instance.shutdown()));
    this.injected.complete();
    for (const p of this.processors) {
      // A plugin's shutdown may be synchronous or throw: neither may stop the drain below.
      await Promise.resolve()
        .then(() => p.instance.shutdown?.())
        .catch((err: unknown) =>
          this.options.logger.error({ processor: p.id, err: String(err) }, "shutdown failed"),
        );
    }
    this.stop.next();
    for (const s of this.subscriptions) s.unsubscribe();
    await Promise.allSettled([...this.inflight]);
    await Promise.allSettled(this.exporters.map((e) => e.instance.shutdown()));
  }
}
