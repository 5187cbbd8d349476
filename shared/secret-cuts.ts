/**
 * Cuts of a secret: a source that echoes only part of a credential ("key abcd1234…", the first 20
 * characters, a window of a log line) leaks that part. A registered value of at least
 * {@link MIN_CUT_SECRET_LENGTH} characters is therefore also found by any run of
 * {@link CUT_RUN} or more consecutive characters of it, and each match is widened to the whole run.
 *
 * Why these numbers: 8 characters of a random key (62^8 ≈ 2·10^14) do not occur in ordinary text by
 * chance, while shorter runs do (dates, ids, words: a 6-character run of a 12-character password
 * such as "summer" would blank that word everywhere). A secret under 12 characters is redacted
 * whole only: 8 of its characters would be most of it, and such a short "secret" protects little.
 * What stays visible is at most 7 consecutive characters of a secret.
 *
 * A run must also mix at least two of lower case, upper case and digits: a run of one kind ("operator",
 * "perator-", "20241231") is a word, a name or a number that ordinary text holds all the time (an
 * instance id such as "operator-1" must not lose its first word to a secret "operator-key"), while 8
 * characters of a random key are of one kind with a chance of about 0.1%. An encoded form's runs are
 * all indexed: 16 hex digits or 11 base64 characters of a key do not occur by chance either.
 *
 * An encoded form (hex, base64) is longer than the value it encodes; its run is scaled so that it
 * still means 8 characters of the secret (16 hex digits, 11 base64 characters), which keeps a run of
 * hex or base64 in ordinary text from matching by chance just as often.
 */

/** Values shorter than this are redacted whole only, never by a cut. */
export const MIN_CUT_SECRET_LENGTH = 12;
/** The shortest run of a secret's characters that is redacted wherever it appears. */
export const CUT_RUN = 8;

/**
 * For each run length, the runs of that length and the forms (registered strings) they are cut from,
 * and a 32-bit hash of the runs' first four characters: most positions of a text are rejected by one
 * number lookup, without cutting a string out of it.
 */
export type CutIndex = Map<number, { readonly runs: Map<string, string[]>; readonly heads: Set<number> }>;

const headAt = (text: string, at: number): number =>
  Math.imul(
    Math.imul(Math.imul(text.charCodeAt(at), 65599) + text.charCodeAt(at + 1), 65599) +
      text.charCodeAt(at + 2),
    65599,
  ) + text.charCodeAt(at + 3);

/** True when `text` has at least two of: a lower-case letter, an upper-case letter, a digit. */
const mixesKinds = (text: string): boolean =>
  Number(/[a-z]/.test(text)) + Number(/[A-Z]/.test(text)) + Number(/[0-9]/.test(text)) >= 2;

/**
 * Adds every run of `form` (a form of a secret `secretLength` characters long) to the index. A
 * textual form (the secret's own characters, escaped) indexes only runs that mix kinds; an encoded one
 * (hex, base64) every run, since its kinds say nothing about the text it encodes ("aaaa" is
 * "61616161" in hex).
 */
export const indexCuts = (
  index: CutIndex,
  form: string,
  secretLength: number,
  kind: 'textual' | 'encoded',
): void => {
  if (secretLength < MIN_CUT_SECRET_LENGTH) return;
  const run = Math.ceil((CUT_RUN * form.length) / secretLength);
  const entry = index.get(run) ?? { runs: new Map<string, string[]>(), heads: new Set<number>() };
  index.set(run, entry);
  const { runs, heads } = entry;
  for (let start = 0; start + run <= form.length; start++) {
    const piece = form.slice(start, start + run);
    if (kind === 'textual' && !mixesKinds(piece)) continue;
    heads.add(headAt(piece, 0));
    const forms = runs.get(piece);
    if (!forms) runs.set(piece, [form]);
    else if (!forms.includes(form)) forms.push(form);
  }
};

/** The [start, end) ranges of `text` that are runs of a registered form, widened to the whole run. */
const cutRanges = (index: CutIndex, text: string): [number, number][] => {
  const ranges: [number, number][] = [];
  for (const [run, { runs, heads }] of index) {
    for (let start = 0; start + run <= text.length; start++) {
      if (!heads.has(headAt(text, start))) continue;
      const forms = runs.get(text.slice(start, start + run));
      if (!forms) continue;
      // Widened both ways to the whole run of one form (its start may be a run of one kind).
      let from = start;
      let end = start + run;
      for (const form of forms) {
        let left = start;
        while (left > 0 && form.includes(text.slice(left - 1, start + run))) left--;
        let reach = start + run;
        while (reach < text.length && form.includes(text.slice(left, reach + 1))) reach++;
        from = Math.min(from, left);
        end = Math.max(end, reach);
      }
      ranges.push([from, end]);
      start = end - 1;
    }
  }
  return ranges;
};

/** Replaces every cut of a registered secret in `text` by `replacement` (overlapping cuts as one). */
export const redactCuts = (index: CutIndex, text: string, replacement: string): string => {
  if (index.size === 0) return text;
  const ranges = cutRanges(index, text).sort((a, b) => a[0] - b[0]);
  if (ranges.length === 0) return text;
  let out = '';
  let at = 0;
  let current = ranges[0]!;
  for (const range of ranges.slice(1)) {
    if (range[0] <= current[1]) current = [current[0], Math.max(current[1], range[1])];
    else {
      out += text.slice(at, current[0]) + replacement;
      at = current[1];
      current = range;
    }
  }
  return out + text.slice(at, current[0]) + replacement + text.slice(current[1]);
};
