// Built-in component factories. Wiring happens only in pipeline.yaml's service.pipelines;
// this list just makes each type available by name.
import { consoleExporterFactory } from "../exporters/console.ts";
import type { ComponentFactory } from "./component.ts";

export const builtinFactories: readonly ComponentFactory[] = [consoleExporterFactory];
