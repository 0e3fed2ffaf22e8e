// `${env:VAR}`, `${env:VAR:-default}` and `${env:VAR:+alternative}` (the alternative when VAR is
// set and not empty, else nothing) substitution on YAML scalars, keeping node positions.
import { type Document, parse as parseYaml, type Scalar, visit } from "yaml";

const REFERENCE = /\$\$\{|\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}/g;
const WHOLE_REFERENCE = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}$/;

/** The value of one reference, or undefined when it is unset with no default. */
function resolveReference(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  operator: string | undefined,
  operand: string | undefined,
): string | undefined {
  const value = env[name];
  if (operator === "+") return value ? (operand ?? "") : "";
  return value ?? (operator === "-" ? operand : undefined);
}

export interface SubstitutionProblem {
  readonly node: Scalar;
  readonly message: string;
}

/** Scalars whose value came from the environment, with the variable names, for error messages. */
export type EnvOrigins = Map<Scalar, readonly string[]>;
/** The text a whole-scalar reference substituted, for a string field that got a number or boolean. */
export type EnvTexts = Map<Scalar, string>;

/**
 * Replace env references in every string scalar of the document, in place.
 * A scalar that is exactly one reference takes the YAML type of the value (so "10" is a number),
 * as the OpenTelemetry Collector does; references inside longer strings interpolate as text.
 */
export function substituteEnv(
  doc: Document,
  env: Readonly<Record<string, string | undefined>>,
): { problems: SubstitutionProblem[]; origins: EnvOrigins; texts: EnvTexts } {
  const problems: SubstitutionProblem[] = [];
  const origins: EnvOrigins = new Map();
  const texts: EnvTexts = new Map();
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== "string" || !node.value.includes("${")) return;
      const text = node.value;
      const names: string[] = [];
      const whole = WHOLE_REFERENCE.exec(text);
      if (whole) {
        const [, name = "", operator, operand] = whole;
        names.push(name);
        const value = resolveReference(env, name, operator, operand);
        if (value === undefined) {
          problems.push({ node, message: `environment variable ${name} is not set and has no default` });
          return;
        }
        node.value = typedScalar(value);
        texts.set(node, value);
      } else {
        node.value = text.replace(
          REFERENCE,
          (match, name: string | undefined, operator: string | undefined, operand: string | undefined) => {
            if (match === "$${") return "${";
            const varName = name ?? "";
            names.push(varName);
            const value = resolveReference(env, varName, operator, operand);
            if (value === undefined) {
              problems.push({
                node,
                message: `environment variable ${varName} is not set and has no default`,
              });
              return "";
            }
            return value;
          },
        );
      }
      origins.set(node, names);
    },
  });
  return { problems, origins, texts };
}

/** A whole-scalar substitution is read as YAML: numbers, booleans and null keep their type. */
function typedScalar(value: string): unknown {
  if (value.trim() === "") return value;
  try {
    const parsed: unknown = parseYaml(value);
    return parsed === null || typeof parsed === "object" ? value : parsed;
  } catch {
    return value;
  }
}
