// The seed processors from the shipped pipeline.yaml, built from their factories and chained in
// pipeline order (rules… → cooldown → escalation → throttle) on a virtual clock.
import { Subject } from "rxjs";
import { type CooldownProcessor, cooldownFactory } from "../../processors/cooldown.ts";
import { type EscalationProcessor, escalationFactory } from "../../processors/escalation.ts";
import type { RuleProcessor } from "../../processors/rules/rule-engine.ts";
import { spikeFactory } from "../../processors/spike.ts";
import { thresholdFactory } from "../../processors/threshold.ts";
import { type ThrottleProcessor, throttleFactory } from "../../processors/throttle.ts";
import type { ComponentFactory, Processor } from "../../src/component.ts";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../src/service.ts";
import type { Alert, Item } from "../../src/signal.ts";
import type { StateStore } from "../../src/state/store.ts";
import { testContext } from "./context.ts";
import { VirtualClock } from "./virtual-clock.ts";

const factories: Record<string, ComponentFactory<"processor">> = {
  threshold: thresholdFactory as ComponentFactory<"processor">,
  spike: spikeFactory as ComponentFactory<"processor">,
  cooldown: cooldownFactory as ComponentFactory<"processor">,
  escalation: escalationFactory as ComponentFactory<"processor">,
  throttle: throttleFactory as ComponentFactory<"processor">,
};

/** The seed processors exactly as the shipped pipeline.yaml configures them, through the real loader. */
export async function buildSeedProcessors(
  clock: VirtualClock,
  env: Record<string, string> = {},
  state?: StateStore,
) {
  const config = await loadConfig({ configPath: DEFAULT_CONFIG_PATH, env });
  const built = new Map<string, Processor>();
  for (const spec of config.components.values()) {
    if (spec.kind !== "processor" || !factories[spec.factory.type]) continue;
    const context = testContext({ id: spec.id, scheduler: clock.scheduler, ...(state ? { state } : {}) });
    built.set(spec.id, (await spec.factory.create(spec.config, context)) as Processor);
  }
  const rules = [...built]
    .filter(([id]) => /^(threshold|spike)\//.test(id))
    .map(([, p]) => p as RuleProcessor);
  return {
    rules,
    cooldown: built.get("cooldown") as CooldownProcessor,
    escalation: built.get("escalation") as EscalationProcessor,
    throttle: built.get("throttle") as ThrottleProcessor,
  };
}

/**
 * A running seed chain: push signals into `input`; `out` records everything with its time. With
 * a state store and a clock set to when it starts, one process of several on that store.
 */
export async function seedChain(
  env: Record<string, string> = {},
  process: { clock?: VirtualClock; state?: StateStore } = {},
) {
  const clock = process.clock ?? new VirtualClock();
  const p = await buildSeedProcessors(clock, env, process.state);
  const input = new Subject<Item>();
  const out: { at: number; item: Item }[] = [];
  let stream = input.asObservable();
  for (const op of [...p.rules, p.cooldown, p.escalation, p.throttle]) stream = stream.pipe(op.operator);
  const subscription = stream.subscribe((item) => out.push({ at: clock.now(), item }));
  const alerts = (): (Alert & { seenAt: number })[] =>
    out.flatMap((o) =>
      o.item.kind === "alert"
        ? [{ ...o.item, seenAt: o.at }]
        : o.item.kind === "digest"
          ? o.item.alerts.map((a) => ({ ...a, seenAt: o.at }))
          : [],
    );
  return { clock, input, out, alerts, subscription, ...p };
}
