// Input series names of rule test files: `metric.name{attr.key="value",…}` (PromQL's series
// syntax with OpenTelemetry names: dots allowed in metric names and attribute keys).
import { NotationError } from "./notation.ts";

export interface SeriesName {
  readonly metric: string;
  readonly attributes: Readonly<Record<string, string>>;
}

const NAME = /[A-Za-z_][A-Za-z0-9_.:/-]*/y;
const ESCAPES: Readonly<Record<string, string>> = { n: "\n", t: "\t", "\\": "\\", '"': '"', "'": "'" };

/** Parses `metric{k="v",…}`; throws NotationError saying where it stopped making sense. */
export function parseSeriesName(text: string): SeriesName {
  const src = text.trim();
  let at = 0;
  const fail = (what: string): never => {
    throw new NotationError(`"${src}": ${what} at column ${at + 1}`);
  };
  const name = (): string => {
    NAME.lastIndex = at;
    const m = NAME.exec(src);
    if (!m) return fail("expected a name");
    at += m[0].length;
    return m[0];
  };
  const space = () => {
    while (src[at] === " " || src[at] === "\t") at++;
  };
  const metric = name();
  const attributes: Record<string, string> = {};
  space();
  if (at < src.length) {
    if (src[at] !== "{") fail('expected "{" after the metric name');
    at++;
    space();
    while (src[at] !== "}") {
      const key = name();
      space();
      if (src[at] !== "=" || src[at + 1] === "~")
        fail(`expected = after ${key} (a series has exact values, not matchers)`);
      at++;
      space();
      const quote = src[at];
      if (quote !== '"' && quote !== "'") fail(`expected a quoted value for ${key}`);
      at++;
      let value = "";
      while (at < src.length && src[at] !== quote) {
        if (src[at] === "\\") {
          const escaped = ESCAPES[src[at + 1] ?? ""];
          if (escaped === undefined) fail("unknown escape");
          value += escaped;
          at += 2;
          continue;
        }
        value += src[at];
        at++;
      }
      if (at >= src.length) fail(`unclosed quote in the value of ${key}`);
      at++;
      if (key in attributes) fail(`${key} given twice`);
      attributes[key] = value;
      space();
      if (src[at] === ",") {
        at++;
        space();
      } else if (src[at] !== "}") fail('expected "," or "}"');
    }
    at++;
    space();
    if (at < src.length) fail("unexpected text after }");
  }
  return { metric, attributes };
}
