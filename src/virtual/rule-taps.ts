// What each rule processor of a virtual pipeline has said: the last alert it emitted per
// fingerprint, so `alertpipe test rules` can list the alerts firing at an instant (promtool's
// alert_rule_test) without reaching into the rule engine.
import { tap } from "rxjs";
import type { ComponentFactory, Processor } from "../component.ts";
import type { ComponentSpec } from "../config/load.ts";
import { operatorFromStages, type StageFactory } from "../fuse.ts";
import type { Alert, Item } from "../signal.ts";

/** The part of a threshold/spike processor a tap reads (see processors/rules/rule-engine.ts). */
interface RuleLike extends Processor {
  readonly spec: { readonly rule: string };
  breaches(): Alert[];
}

function isRule(p: Processor): p is RuleLike {
  const candidate = p as Partial<RuleLike>;
  return typeof candidate.breaches === "function" && typeof candidate.spec?.rule === "string";
}

export class RuleTaps {
  /** rule → fingerprint → the rule's last alert (firing or resolved). */
  private readonly last = new Map<string, Map<string, Alert>>();
  private readonly processors = new Map<string, RuleLike[]>();

  /** The spec with a factory whose rule processors report their alerts here. */
  tapped(spec: ComponentSpec): ComponentSpec {
    const inner = spec.factory;
    const factory: ComponentFactory = {
      ...inner,
      create: async (config, context) => this.wrap((await inner.create(config, context)) as Processor),
    };
    return { ...spec, factory };
  }

  /** Rules that have a processor in the pipeline. */
  ruleNames(): string[] {
    return [...this.processors.keys()];
  }

  /**
   * The rule's alerts firing now: its last word per fingerprint was `firing`. The values are the
   * current ones while the group still breaches, else those it fired with.
   */
  firing(rule: string): Alert[] {
    const current = new Map<string, Alert>();
    for (const p of this.processors.get(rule) ?? []) {
      for (const a of p.breaches()) current.set(a.fingerprint, a);
    }
    const out: Alert[] = [];
    for (const [fingerprint, alert] of this.last.get(rule) ?? []) {
      if (alert.status !== "firing") continue;
      const now = current.get(fingerprint);
      out.push(now ? { ...now, startsAt: alert.startsAt } : alert);
    }
    return out;
  }

  private record(alert: Alert): void {
    let byFingerprint = this.last.get(alert.rule);
    if (!byFingerprint) {
      byFingerprint = new Map();
      this.last.set(alert.rule, byFingerprint);
    }
    byFingerprint.set(alert.fingerprint, alert);
  }

  private wrap(p: Processor): Processor {
    if (!isRule(p)) return p;
    const rule = p.spec.rule;
    const list = this.processors.get(rule) ?? [];
    list.push(p);
    this.processors.set(rule, list);
    const seen = (item: Item): void => {
      if (item.kind === "alert" && item.rule === rule) this.record(item);
    };
    const inner = p.stage;
    const shutdown = async () => p.shutdown?.();
    const status = () => p.status?.() ?? {};
    if (inner) {
      const stage: StageFactory = (emit) =>
        inner((item) => {
          seen(item);
          emit(item);
        });
      return { stage, operator: operatorFromStages([stage]), shutdown, status };
    }
    const operator: Processor["operator"] = (source) => p.operator(source).pipe(tap(seen));
    return { operator, shutdown, status };
  }
}
