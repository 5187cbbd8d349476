/**
 * Dot paths into a JSON value, as the httpjson parameters write them: `incidents`, `links.next`,
 * `security_advisory.summary`, `target[0].id` (or `target.0.id`), and `["@odata.nextLink"]` for a key
 * that holds dots. The empty path is the value itself.
 */

/** One step of a path: an object key or an array index. */
type Step = string | number;

const SEGMENT = /^(?:\["((?:[^"\\]|\\.)*)"\]|([^.[\]"]+))((?:\[\d+\])*)/;

/** Splits a path into steps; `undefined` when it is not a path. */
export const parsePath = (path: string): Step[] | undefined => {
  const steps: Step[] = [];
  let rest = path.trim();
  if (rest === '') return steps;
  for (;;) {
    const match = SEGMENT.exec(rest);
    if (!match) return undefined;
    const key = match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]!;
    steps.push(/^\d+$/.test(key) ? Number(key) : key);
    for (const index of match[3]!.matchAll(/\[(\d+)\]/g)) steps.push(Number(index[1]));
    rest = rest.slice(match[0].length);
    if (rest === '') return steps;
    // Bracketed keys may follow a segment directly (`a["b.c"]`); anything else needs a dot.
    if (rest.startsWith('.')) rest = rest.slice(1);
    else if (!rest.startsWith('["')) return undefined;
  }
};

/** True when `path` can be read by {@link readPath}. */
export const isPath = (path: string): boolean => parsePath(path) !== undefined;

/**
 * Reads `path` from `value`; `undefined` when any step is missing.
 * @example readPath({ a: { b: [1, 2] } }, 'a.b[1]') // 2
 */
export const readPath = (value: unknown, path: string): unknown => {
  const steps = parsePath(path);
  if (!steps) return undefined;
  let current: unknown = value;
  for (const step of steps) {
    if (current === null || typeof current !== 'object') return undefined;
    // Own properties only: `constructor` or `__proto__` in a path reads the item, never its prototype.
    if (!Object.hasOwn(current, step)) return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
};
