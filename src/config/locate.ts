// Map a key path in the parsed config back to a line and column in the YAML source.
import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import type { KeyPath } from "./errors.ts";

export interface Located {
  readonly line: number;
  readonly column: number;
  /** The value node at the path, when the path exists. */
  readonly node?: Node;
}

/**
 * The position of the deepest node along `path`: the value when it exists, else its key,
 * else the nearest existing parent (e.g. for a missing required key).
 */
export function locate(doc: Document, lines: LineCounter, path: KeyPath, atKey = false): Located {
  let current: unknown = doc.contents;
  let best: { offset: number; node?: Node } = { offset: rangeStart(current) ?? 0 };
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(current)) {
      const pair = current.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) return position(lines, best.offset);
      const keyStart = rangeStart(pair.key);
      if (last && atKey && keyStart !== undefined) return position(lines, keyStart);
      current = pair.value;
      const start = rangeStart(current) ?? keyStart;
      if (start !== undefined) best = { offset: start, node: current as Node };
    } else if (isSeq(current) && typeof seg === "number") {
      current = current.items[seg];
      const start = rangeStart(current);
      if (start === undefined) return position(lines, best.offset);
      best = { offset: start, node: current as Node };
    } else {
      return position(lines, best.offset);
    }
  }
  return { ...position(lines, best.offset), node: best.node };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : undefined;
}

function position(lines: LineCounter, offset: number): Located {
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}
