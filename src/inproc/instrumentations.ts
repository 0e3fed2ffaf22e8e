// The instrumentations alertpipe/register starts: what the scrapers' alerts read — http (fetch via
// node:http clients, LLM APIs), undici (global fetch) and pg (database spans and durations).
// OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS work as in
// @opentelemetry/auto-instrumentations-node; a name beyond the three is loaded from the app's own
// dependencies (`npm install @opentelemetry/instrumentation-<name>`).
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { context } from "@opentelemetry/api";
import { isTracingSuppressed } from "@opentelemetry/core";
import type { Instrumentation } from "@opentelemetry/instrumentation";
import { HttpInstrumentation, type HttpInstrumentationConfig } from "@opentelemetry/instrumentation-http";
import { PgInstrumentation, type PgInstrumentationConfig } from "@opentelemetry/instrumentation-pg";
import {
  UndiciInstrumentation,
  type UndiciInstrumentationConfig,
} from "@opentelemetry/instrumentation-undici";

const PREFIX = "@opentelemetry/instrumentation-";
const ENABLED = "OTEL_NODE_ENABLED_INSTRUMENTATIONS";
const DISABLED = "OTEL_NODE_DISABLED_INSTRUMENTATIONS";

interface Toggle {
  /** false: not started; true: started whatever the OTEL_NODE_*_INSTRUMENTATIONS variables say. */
  readonly enabled?: boolean;
}

/** Per-instrumentation settings for the built-in three, merged over alertpipe's defaults. */
export interface InstrumentationConfigMap {
  readonly "@opentelemetry/instrumentation-http"?: HttpInstrumentationConfig & Toggle;
  readonly "@opentelemetry/instrumentation-undici"?: UndiciInstrumentationConfig & Toggle;
  readonly "@opentelemetry/instrumentation-pg"?: PgInstrumentationConfig & Toggle;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Requests started by alertpipe itself run with tracing suppressed: skip them (no spans, no metrics). */
const ownRequest = (): boolean => isTracingSuppressed(context.active());

function builtins(configs: InstrumentationConfigMap): Record<string, () => Instrumentation> {
  const http = configs["@opentelemetry/instrumentation-http"] ?? {};
  const undici = configs["@opentelemetry/instrumentation-undici"] ?? {};
  const pg = configs["@opentelemetry/instrumentation-pg"] ?? {};
  return {
    [`${PREFIX}http`]: () =>
      new HttpInstrumentation({
        ...http,
        ignoreOutgoingRequestHook: (request) =>
          ownRequest() || (http.ignoreOutgoingRequestHook?.(request) ?? false),
      }),
    [`${PREFIX}undici`]: () =>
      new UndiciInstrumentation({
        ...undici,
        ignoreRequestHook: (request) => ownRequest() || (undici.ignoreRequestHook?.(request) ?? false),
      }),
    [`${PREFIX}pg`]: () => new PgInstrumentation(pg),
  };
}

function namesIn(env: Env, variable: string): string[] | undefined {
  const value = env[variable]?.trim();
  if (!value) return undefined;
  return value
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean)
    .map((name) => (name.startsWith(PREFIX) ? name : `${PREFIX}${name}`));
}

/** An instrumentation package the app installed: resolved from the app's directory, then from alertpipe's. */
async function loadFromApp(name: string, cwd: string): Promise<Instrumentation> {
  let url: string;
  try {
    url = pathToFileURL(createRequire(join(cwd, "package.json")).resolve(name)).href;
  } catch {
    try {
      url = import.meta.resolve(name);
    } catch {
      throw new Error(
        `${ENABLED} names ${name.slice(PREFIX.length)}, but ${name} is not installed (npm install ${name})`,
      );
    }
  }
  const mod = (await import(url)) as Record<string, unknown>;
  const exported = Object.entries(mod).find(
    ([key, value]) => key.endsWith("Instrumentation") && typeof value === "function",
  );
  if (!exported) throw new Error(`${ENABLED}: ${name} exports no *Instrumentation class`);
  const Ctor = exported[1] as new () => Instrumentation;
  return new Ctor();
}

export interface InstrumentationChoice {
  readonly configs?: InstrumentationConfigMap;
  /** Instrumentation instances of your own, started beside the chosen ones. */
  readonly extra?: readonly Instrumentation[];
  readonly env: Env;
  /** Where the app's own dependencies are resolved from (default: the working directory). */
  readonly cwd?: string;
}

/** The instrumentations to start, honouring the configs and the OTEL_NODE_*_INSTRUMENTATIONS variables. */
export async function chooseInstrumentations(choice: InstrumentationChoice): Promise<Instrumentation[]> {
  const configs = choice.configs ?? {};
  const known = builtins(configs);
  const enabled = namesIn(choice.env, ENABLED);
  const disabled = namesIn(choice.env, DISABLED) ?? [];
  const chosen: Instrumentation[] = [];
  for (const [name, create] of Object.entries(known)) {
    const toggle = (configs as Record<string, Toggle | undefined>)[name]?.enabled;
    const on = toggle ?? (!disabled.includes(name) && (enabled === undefined || enabled.includes(name)));
    if (on) chosen.push(create());
  }
  for (const name of enabled ?? []) {
    if (name in known || disabled.includes(name)) continue;
    chosen.push(await loadFromApp(name, choice.cwd ?? process.cwd()));
  }
  return [...chosen, ...(choice.extra ?? [])];
}
