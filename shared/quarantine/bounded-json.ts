/**
 * JSON for values a hostile source handed over: no recursion that a deep value can exhaust, no output
 * that a huge value can blow up. `JSON.stringify` recurses once per level and throws `RangeError:
 * Maximum call stack size exceeded` near 5,000–10,000 levels (a page nested 6,000 deep wedged an
 * instance that way); {@link depthExceeds} walks with an explicit stack, and {@link boundedJson}
 * only hands `JSON.stringify` a value it proved shallow.
 */

/**
 * Deepest nesting of an incident Ferry accepts: DynamoDB's limit on nested attributes (32 levels), so
 * the reference endpoint can store whatever passes. XSOAR's own fields are flat or one grid deep.
 */
export const MAX_INCIDENT_DEPTH = 32;

/** Nodes one check visits at most: bounds the work a giant page can cause (an array of a million). */
const MAX_NODES = 1_000_000;

const isContainer = (value: unknown): value is object => typeof value === 'object' && value !== null;

/**
 * Whether `value` nests deeper than `maxDepth` levels (an object or array is one level) or holds more
 * than a million nodes: what `JSON.stringify` and the sinks cannot take safely. Iterative, so it cannot
 * overflow the stack itself. (A cycle ends the walk where it closes; parsed JSON has none.)
 */
export const depthExceeds = (value: unknown, maxDepth: number): boolean => {
  if (!isContainer(value)) return false;
  const stack: [object, number][] = [[value, 1]];
  const visited = new Set<object>();
  let nodes = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > maxDepth || ++nodes > MAX_NODES) return true;
    if (visited.has(node)) continue;
    visited.add(node);
    for (const child of Object.values(node)) if (isContainer(child)) stack.push([child, depth + 1]);
  }
  return false;
};

/** A value as JSON text, at most `maxBytes` long; `complete` is false when something was cut. */
export interface BoundedJson {
  readonly text: string;
  readonly complete: boolean;
  /** Bytes of the full JSON text, when it could be measured. */
  readonly bytes?: number;
}

/** The marker that replaces what lies below the kept depth. */
export const tooDeepMarker = (maxDepth: number) => `[ferry: nested deeper than ${maxDepth} levels]`;

/** A copy of `value` cut at `maxDepth` levels, built with an explicit stack. */
const pruned = (value: unknown, maxDepth: number): unknown => {
  if (!isContainer(value)) return value;
  const copyOf = (node: object): Record<string, unknown> | unknown[] => (Array.isArray(node) ? [] : {});
  const root = copyOf(value);
  const stack: [object, Record<string, unknown> | unknown[], number][] = [[value, root, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [source, target, depth] = stack.pop()!;
    for (const [key, child] of Object.entries(source)) {
      let copied: unknown = child;
      if (isContainer(child)) {
        if (depth >= maxDepth || ++nodes > MAX_NODES) copied = tooDeepMarker(maxDepth);
        else {
          copied = copyOf(child);
          stack.push([child, copied as Record<string, unknown>, depth + 1]);
        }
      }
      (target as Record<string, unknown>)[key] = copied;
    }
  }
  return root;
};

const stringifyOrDescribe = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? JSON.stringify(String(value));
  } catch (error) {
    // BigInt, a throwing toJSON: keep what can be said about it.
    return JSON.stringify(`[ferry: not JSON (${error instanceof Error ? error.message : String(error)})]`);
  }
};

/**
 * `value` as JSON for a record an operator reads (the quarantine): cut at `maxDepth` levels and at
 * `maxBytes` bytes (a cut text is no longer JSON and says so by `complete: false`).
 */
export const boundedJson = (value: unknown, options: { maxBytes: number; maxDepth: number }): BoundedJson => {
  const shallow = !depthExceeds(value, options.maxDepth);
  const text = stringifyOrDescribe(shallow ? value : pruned(value, options.maxDepth));
  const bytes = Buffer.byteLength(text);
  if (bytes <= options.maxBytes) return { text, complete: shallow, ...(shallow ? { bytes } : {}) };
  // Cut on a character boundary: a lone surrogate half would make the stored text invalid UTF-8.
  let cut = Buffer.from(text).subarray(0, options.maxBytes).toString('utf8');
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return { text: cut, complete: false, ...(shallow ? { bytes } : {}) };
};
