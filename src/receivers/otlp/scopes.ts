// The resource → scope → items nesting every OTLP request shares, walked once for spans and logs:
// structural errors throw (400) with the path; each item is handed over with its resource and scope.
import type { Attributes, Scope } from "../../signal.ts";
import { type AttributeLimits, convertAttributes } from "./attributes.ts";
import { fail, isObject, list, message, Rejection, str } from "./fields.ts";

/** Field names of one signal's nesting, e.g. resourceSpans / scopeSpans / spans. */
export interface Nesting {
  readonly request: string;
  readonly resources: string;
  readonly scopes: string;
  readonly items: string;
  /** The item's message name, e.g. Span. */
  readonly item: string;
}

export interface ItemResult<T> {
  readonly items: T[];
  readonly rejected: number;
  readonly errors: string[];
}

const MAX_ERRORS = 10;

/**
 * Calls `convert` for every item of the request; an item it rejects (a Rejection, or a resource over
 * the attribute limits) is counted with its reason instead, the rest kept.
 */
export function convertItems<T>(
  req: unknown,
  nesting: Nesting,
  limits: AttributeLimits,
  convert: (raw: Record<string, unknown>, path: string, resource: Attributes, scope: Scope) => T,
): ItemResult<T> {
  if (!isObject(req)) fail("", `request body must be a JSON object (${nesting.request})`);
  const items: T[] = [];
  const errors: string[] = [];
  let rejected = 0;
  const resources = list<unknown>(req[nesting.resources], nesting.resources);
  for (let r = 0; r < resources.length; r++) {
    const rPath = `${nesting.resources}[${r}]`;
    const block = message<Record<string, unknown>>(resources[r], rPath) ?? {};
    const res = message<{ attributes?: unknown }>(block.resource, `${rPath}.resource`);
    const resAttrs = convertAttributes(res?.attributes, `${rPath}.resource.attributes`, limits);
    const scopes = list<unknown>(block[nesting.scopes], `${rPath}.${nesting.scopes}`);
    for (let s = 0; s < scopes.length; s++) {
      const sPath = `${rPath}.${nesting.scopes}[${s}]`;
      const scoped = message<Record<string, unknown>>(scopes[s], sPath) ?? {};
      const sc = message<{ name?: unknown; version?: unknown }>(scoped.scope, `${sPath}.scope`);
      const version = str(sc?.version, `${sPath}.scope.version`);
      const name = str(sc?.name, `${sPath}.scope.name`);
      const scope: Scope = version ? { name, version } : { name };
      const raw = list<unknown>(scoped[nesting.items], `${sPath}.${nesting.items}`);
      for (let i = 0; i < raw.length; i++) {
        const path = `${sPath}.${nesting.items}[${i}]`;
        const item = message<Record<string, unknown>>(raw[i], path);
        if (!item) fail(path, `expected a ${nesting.item} object`);
        try {
          if (resAttrs.violation) throw new Rejection(`${path}: ${resAttrs.violation}`);
          items.push(convert(item, path, resAttrs.attributes, scope));
        } catch (err) {
          if (!(err instanceof Rejection)) throw err;
          rejected++;
          if (errors.length < MAX_ERRORS) errors.push(err.message);
        }
      }
    }
  }
  return { items, rejected, errors };
}
