// The seed processors from examples/seed-rules.yaml, built from their factories and chained in
// pipeline order (rules… → cooldown → escalation → throttle) on a virtual clock.
import { readFileSync } from "node:fs";
import { Subject } from "rxjs";
import { parse } from "yaml";
import { type CooldownProcessor, cooldownFactory } from "../../processors/cooldown.ts";
import { type EscalationProcessor, escalationFactory } from "../../processors/escalation.ts";
import type { RuleProcessor } from "../../processors/rules/rule-engine.ts";
import { spikeFactory } from "../../processors/spike.ts";
import { thresholdFactory } from "../../processors/threshold.ts";
import { type ThrottleProcessor, throttleFactory } from "../../processors/throttle.ts";
import type { ComponentFactory, Processor } from "../../src/component.ts";
import type { Alert, Item } from "../../src/signal.ts";
import { testContext } from "./context.ts";
import { VirtualClock } from "./virtual-clock.ts";

const factories: Record<string, ComponentFactory<"processor">> = {
  threshold: thresholdFactory as ComponentFactory<"processor">,
  spike: spikeFactory as ComponentFactory<"processor">,
  cooldown: cooldownFactory as ComponentFactory<"processor">,
  escalation: escalationFactory as ComponentFactory<"processor">,
  throttle: throttleFactory as ComponentFactory<"processor">,
};

/** `${env:NAME:-default}` → env value or default (whole-scalar references become YAML numbers). */
export function loadSeedSections(env: Record<string, string> = {}): Record<string, unknown> {
  const url = new URL("../../examples/seed-rules.yaml", import.meta.url);
  const text = readFileSync(url, "utf8").replace(
    /\$\{env:([A-Z0-9_]+)(?::-([^}]*))?\}/g,
    (_, name: string, def: string | undefined) => env[name] ?? def ?? "",
  );
  return (parse(text) as { processors: Record<string, unknown> }).processors;
}

export async function buildSeedProcessors(clock: VirtualClock, env: Record<string, string> = {}) {
  const sections = loadSeedSections(env);
  const built = new Map<string, Processor>();
  for (const [id, raw] of Object.entries(sections)) {
    const factory = factories[id.split("/")[0] as string];
    if (!factory) throw new Error(`no factory for ${id}`);
    const config = factory.configSchema.parse(raw ?? {});
    const issues = factory.validate?.(config) ?? [];
    if (issues.length > 0) throw new Error(`${id}: ${JSON.stringify(issues)}`);
    built.set(id, await factory.create(config, testContext({ id, scheduler: clock.scheduler })));
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

/** A running seed chain: push signals into `input`; `out` records everything with its time. */
export async function seedChain(env: Record<string, string> = {}) {
  const clock = new VirtualClock();
  const p = await buildSeedProcessors(clock, env);
  const input = new Subject<Item>();
  const out: { at: number; item: Item }[] = [];
  let stream = input.asObservable();
  for (const op of [...p.rules, p.cooldown, p.escalation, p.throttle]) stream = stream.pipe(op.operator);
  stream.subscribe((item) => out.push({ at: clock.now(), item }));
  const alerts = (): (Alert & { seenAt: number })[] =>
    out.flatMap((o) =>
      o.item.kind === "alert"
        ? [{ ...o.item, seenAt: o.at }]
        : o.item.kind === "digest"
          ? o.item.alerts.map((a) => ({ ...a, seenAt: o.at }))
          : [],
    );
  return { clock, input, out, alerts, ...p };
}
