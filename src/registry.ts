// Factories by kind and type; components can also come from a module file named in pipeline.yaml.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { builtinFactories } from "./builtins.ts";
import type { ComponentFactory, ComponentKind } from "./component.ts";

export class Registry {
  private readonly factories = new Map<string, ComponentFactory>();

  constructor(factories: readonly ComponentFactory[] = builtinFactories) {
    for (const f of factories) this.register(f);
  }

  register(factory: ComponentFactory): void {
    this.factories.set(`${factory.kind}:${factory.type}`, factory);
  }

  get(kind: ComponentKind, type: string): ComponentFactory | undefined {
    return this.factories.get(`${kind}:${type}`);
  }

  types(kind: ComponentKind): string[] {
    return [...this.factories.values()].filter((f) => f.kind === kind).map((f) => f.type);
  }

  all(): ComponentFactory[] {
    return [...this.factories.values()];
  }
}

/** The type part of a component id `type[/name]`. */
export function componentType(id: string): string {
  const slash = id.indexOf("/");
  return slash < 0 ? id : id.slice(0, slash);
}

/** The name part of a component id, or the type when unnamed. */
export function componentName(id: string): string {
  const slash = id.indexOf("/");
  return slash < 0 ? id : id.slice(slash + 1);
}

/**
 * Load a component factory from a module file: its default export or a named `factory` export.
 * Throws with a message naming the module when it is missing or not a factory of the right kind.
 */
export async function loadModuleFactory(
  kind: ComponentKind,
  modulePath: string,
  configDir: string,
): Promise<ComponentFactory> {
  const url = pathToFileURL(resolve(configDir, modulePath)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`cannot load module ${modulePath}: ${(err as Error).message}`);
  }
  const candidate = (mod.default ?? mod.factory) as Partial<ComponentFactory> | undefined;
  if (!candidate || typeof candidate.create !== "function" || !candidate.configSchema) {
    throw new Error(
      `module ${modulePath} does not export a ${kind} factory (default or "factory" export with configSchema and create)`,
    );
  }
  if (candidate.kind !== undefined && candidate.kind !== kind) {
    throw new Error(`module ${modulePath} exports a ${candidate.kind} factory, but is listed under ${kind}s`);
  }
  return { ...candidate, kind } as ComponentFactory;
}
