// When two alerts belong to one incident, and why (the reason is shown in the message):
//   - they share a resource identity: a `group_by` label (service.name, host.name) with one value;
//   - else, unless their identities conflict (a group_by label both carry, with different values):
//     the same component on the same host, a topology link (one upstream of the other), or a
//     component related to all ("*") on the same host.
// "The same host": both name the same `host_label` value, or neither names one (an alert of a rule
// without group_by is about the pipeline as a whole, not about some other host). Alerts for
// different routes (destinations) are never grouped.
import type { Alert } from "../src/signal.ts";
import type { Topology } from "./incidents-topology.ts";

export interface RelateOptions {
  /** Labels that identify a resource (group_by). */
  readonly identity: readonly string[];
  /** The label naming an alert's host. */
  readonly hostKey: string;
  readonly topology: Topology;
}

const routeOf = (a: Alert) => a.route ?? "default";

/** Why `a` belongs with `b` (text naming `b`'s rule), or undefined when they are unrelated. */
export function relation(a: Alert, b: Alert, o: RelateOptions): string | undefined {
  if (routeOf(a) !== routeOf(b)) return undefined;
  const with_ = `(with ${b.rule})`;
  let conflict = false;
  for (const key of o.identity) {
    const va = a.labels[key];
    const vb = b.labels[key];
    if (va === undefined || vb === undefined) continue;
    if (va === vb) return `shared ${key}=${va} ${with_}`;
    conflict = true;
  }
  if (conflict) return undefined;
  const sameHost = a.labels[o.hostKey] === b.labels[o.hostKey];
  if (a.component === b.component) return sameHost ? `same component: ${a.component} ${with_}` : undefined;
  const path = o.topology.link(a.component, b.component);
  if (path) return `topology: ${path.join(" → ")} ${with_}`;
  if (!sameHost) return undefined;
  const everywhere = o.topology.isEverywhere(a.component)
    ? a.component
    : o.topology.isEverywhere(b.component)
      ? b.component
      : undefined;
  return everywhere ? `topology: ${everywhere} relates to all on its host ${with_}` : undefined;
}

/**
 * Index keys under which an alert can be found by the alerts it may relate to (see `lookupKeys`):
 * its identity labels, its component on its host, its component anywhere (topology links), and,
 * for a component related to all, its host.
 */
export function indexKeys(a: Alert, o: RelateOptions): string[] {
  const host = a.labels[o.hostKey] ?? "";
  const keys = [`c@${a.component}@${host}`, `c:${a.component}`];
  for (const key of o.identity) {
    const v = a.labels[key];
    if (v !== undefined) keys.push(`i:${key}=${v}`);
  }
  keys.push(o.topology.isEverywhere(a.component) ? `*@${host}` : `h@${host}`);
  return keys;
}

/** Index keys of the alerts `a` may relate to (a superset: `relation` decides). */
export function lookupKeys(a: Alert, o: RelateOptions): string[] {
  const host = a.labels[o.hostKey] ?? "";
  const keys = [`c@${a.component}@${host}`];
  for (const key of o.identity) {
    const v = a.labels[key];
    if (v !== undefined) keys.push(`i:${key}=${v}`);
  }
  for (const c of o.topology.linkedWith(a.component)) keys.push(`c:${c}`);
  if (o.topology.isEverywhere(a.component)) keys.push(`h@${host}`, `*@${host}`);
  else if (o.topology.hasEverywhere) keys.push(`*@${host}`);
  return keys;
}
