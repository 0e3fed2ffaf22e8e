// Map a key path in the parsed config back to a line and column in the YAML source.
import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import type { KeyPath } from "./errors.ts";

export interface Located {
  readonly line: number;
  readonly column: number;
  /** The value node at the path, when the path exists. */
  readonly node?: Node;
}

/** Where a path points: an offset, and the node it is an offset in (merged configs: its file). */
export interface LocatedNode {
  readonly offset: number;
  /** The node whose start `offset` is (the value, its key, or the nearest existing parent). */
  readonly holder: unknown;
  /** The value node at the path, when the path exists. */
  readonly node?: Node;
}

/**
 * The position of the deepest node along `path`: the value when it exists, else its key,
 * else the nearest existing parent (e.g. for a missing required key).
 */
export function locate(doc: Document, lines: LineCounter, path: KeyPath, atKey = false): Located {
  const at = locateNode(doc, path, atKey);
  return { ...position(lines, at.offset), ...(at.node ? { node: at.node } : {}) };
}

export function locateNode(doc: Document, path: KeyPath, atKey = false): LocatedNode {
  let current: unknown = doc.contents;
  let best: LocatedNode = { offset: rangeStart(current) ?? 0, holder: current };
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(current)) {
      const pair = current.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) return { offset: best.offset, holder: best.holder };
      const keyStart = rangeStart(pair.key);
      if (last && atKey && keyStart !== undefined) return { offset: keyStart, holder: pair.key };
      current = pair.value;
      const start = rangeStart(current);
      if (start !== undefined) best = { offset: start, holder: current, node: current as Node };
      else if (keyStart !== undefined) best = { offset: keyStart, holder: pair.key, node: current as Node };
    } else if (isSeq(current) && typeof seg === "number") {
      current = current.items[seg];
      const start = rangeStart(current);
      if (start === undefined) return { offset: best.offset, holder: best.holder };
      best = { offset: start, holder: current, node: current as Node };
    } else {
      return { offset: best.offset, holder: best.holder };
    }
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : undefined;
}

export function position(lines: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}
