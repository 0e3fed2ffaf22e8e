// A pipeline.yaml's real processors on a virtual clock, for `alertpipe test rules` and `alertpipe
// replay`: the config comes through the real loader and registry; its receivers are replaced by
// one source fed OTLP requests through the OTLP receiver's own normalizer (cumulative → delta…),
// its exporters by a recorder of every notice that would have been sent. No network, no wall clock.
import { type Logger, pino } from "pino";
import { Subject } from "rxjs";
import { z } from "zod";
import type { ComponentFactory, Exporter, Receiver } from "../component.ts";
import type { ComponentSpec, ResolvedConfig } from "../config/load.ts";
import { PipelineGraph } from "../pipeline.ts";
import { normalizerOptions, type OtlpReceiverConfig } from "../receivers/otlp/config.ts";
import { type NormalizeResult, OtlpNormalizer } from "../receivers/otlp/normalize.ts";
import type { OtlpSignal } from "../receivers/otlp/signals.ts";
import type { Item, Notice } from "../signal.ts";
import { MemoryStateStore } from "../state/memory-store.ts";
import { VirtualClock } from "./clock.ts";
import { RuleTaps } from "./rule-taps.ts";

/** One notice as the exporters would have received it. */
export interface RecordedNotice {
  /** Virtual time it reached the exporters, ms since the epoch. */
  readonly at: number;
  readonly pipeline: string;
  readonly notice: Notice;
  /** Sent while the pipeline shut down at the end (held alerts flushed as digests). */
  readonly atShutdown: boolean;
}

export interface VirtualPipelineOptions {
  readonly config: ResolvedConfig;
  /** The environment components see (the config itself was substituted when it was loaded). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The clock's start, ms since the epoch. */
  readonly start: number;
  /**
   * When the replaced receiver "started", ms: a cumulative stream that began at or after it counts
   * whole from its first point, an older one only sets a baseline (cumulativetodelta's `auto`).
   */
  readonly receiverStartedAt: number;
  readonly logger?: Logger;
}

const SOURCE_ID = "virtual-source";
const NOTICE_KINDS = new Set<Item["kind"]>(["alert", "digest", "error"]);
const emptyConfig = z.object({});

export class VirtualPipeline {
  readonly clock: VirtualClock;
  readonly notices: RecordedNotice[] = [];
  /** The state of every rule processor, as its own output says. */
  readonly rules = new RuleTaps();
  private readonly source = new Subject<Item>();
  private readonly normalizer: OtlpNormalizer;
  private graph: PipelineGraph | undefined;
  private shuttingDown = false;

  private constructor(options: VirtualPipelineOptions) {
    this.clock = new VirtualClock(options.start);
    const otlp = otlpConfigOf(options.config);
    this.normalizer = new OtlpNormalizer({
      ...(otlp ? normalizerOptions(otlp) : {}),
      now: () => this.clock.now(),
      startedAt: options.receiverStartedAt,
    });
  }

  static async create(options: VirtualPipelineOptions): Promise<VirtualPipeline> {
    const run = new VirtualPipeline(options);
    const logger = options.logger ?? pino({ level: "silent" });
    run.graph = await PipelineGraph.build(run.virtualConfig(options.config), {
      scheduler: run.clock.scheduler,
      logger,
      env: options.env,
      // What `alertpipe run` does with ALERTPIPE_STATE=memory: the processors' stored-state paths.
      state: new MemoryStateStore(),
    });
    await run.graph.start();
    return run;
  }

  now(): number {
    return this.clock.now();
  }

  /** Run everything due up to `time` (rule ticks, cooldown ends, escalations, digests). */
  advanceTo(time: number): void {
    this.clock.advanceTo(time);
  }

  /** One OTLP request (JSON shape) arriving now: normalized, pushed, and its same-instant work run. */
  ingest(signal: OtlpSignal, request: unknown): NormalizeResult {
    const result = this.normalizer.normalize(signal, request);
    for (const item of result.items) this.source.next(item);
    this.clock.settle();
    return result;
  }

  /** Stop as `alertpipe run` does on SIGTERM: held alerts are flushed (recorded with atShutdown). */
  async finish(): Promise<void> {
    this.clock.settle();
    this.shuttingDown = true;
    await this.graph?.shutdown();
  }

  /** The config with receivers and exporters replaced and rule processors tapped. */
  private virtualConfig(config: ResolvedConfig): ResolvedConfig {
    const components = new Map<string, ComponentSpec>();
    for (const [key, spec] of config.components) {
      if (spec.kind === "processor") components.set(key, this.rules.tapped(spec));
    }
    components.set(`receivers:${SOURCE_ID}`, {
      id: SOURCE_ID,
      kind: "receiver",
      factory: this.sourceFactory(),
      config: {},
    });
    for (const pipeline of config.pipelines) {
      const id = `recorder/${pipeline.name}`;
      components.set(`exporters:${id}`, {
        id,
        kind: "exporter",
        factory: this.recorderFactory(pipeline.name),
        config: {},
      });
    }
    const pipelines = config.pipelines.map((p) => ({
      ...p,
      receivers: [SOURCE_ID],
      exporters: [`recorder/${p.name}`],
    }));
    return { ...config, components, pipelines };
  }

  private sourceFactory(): ComponentFactory {
    const receiver: Receiver = {
      signals: this.source.asObservable(),
      start: async () => {},
      shutdown: async () => this.source.complete(),
    };
    return { kind: "receiver", type: SOURCE_ID, configSchema: emptyConfig, create: () => receiver };
  }

  private recorderFactory(pipeline: string): ComponentFactory {
    const exporter: Exporter = {
      configured: true,
      accepts: NOTICE_KINDS,
      // Called synchronously by the pipeline as the notice leaves the last processor: `now` is its time.
      export: async (batch) => {
        for (const item of batch) {
          if (item.kind !== "alert" && item.kind !== "digest" && item.kind !== "error") continue;
          this.notices.push({ at: this.clock.now(), pipeline, notice: item, atShutdown: this.shuttingDown });
        }
      },
      shutdown: async () => {},
    };
    return { kind: "exporter", type: "recorder", configSchema: emptyConfig, create: () => exporter };
  }
}

/** The first otlp receiver's config, so replayed requests get the limits and delta settings it had. */
function otlpConfigOf(config: ResolvedConfig): OtlpReceiverConfig | undefined {
  for (const spec of config.components.values()) {
    if (spec.kind === "receiver" && spec.factory.type === "otlp") return spec.config as OtlpReceiverConfig;
  }
  return undefined;
}
