/**
 * Finds a key written twice in one JSON object. `JSON.parse` keeps the last silently, so a config with
 * two instances of the same id would run one of them and drop the other without a word. Runs on text
 * that already parsed, so it only walks; it never validates.
 */

/** The path of the first duplicated key (`instances.demo`), or undefined. */
export const firstDuplicateKey = (text: string): string | undefined => {
  let at = 0;
  const skipSpace = () => {
    while (at < text.length && ' \t\r\n\uFEFF'.includes(text[at]!)) at++;
  };
  const readString = (): string => {
    const start = at;
    at++; // opening quote
    while (text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    at++;
    return JSON.parse(text.slice(start, at)) as string;
  };
  // Returns the path of a duplicate found inside the value at `at`, leaving `at` after the value.
  const walk = (path: string): string | undefined => {
    skipSpace();
    const char = text[at];
    if (char === '"') {
      readString();
      return undefined;
    }
    if (char === '{' || char === '[') {
      at++;
      const seen = new Set<string>();
      for (let index = 0; ; index++) {
        skipSpace();
        if (text[at] === '}' || text[at] === ']') {
          at++;
          return undefined;
        }
        if (text[at] === ',') {
          at++;
          skipSpace();
        }
        let inner = `${path}[${index}]`;
        if (char === '{') {
          const key = readString();
          inner = path ? `${path}.${key}` : key;
          if (seen.has(key)) return inner;
          seen.add(key);
          skipSpace();
          at++; // the colon
        }
        const found = walk(inner);
        if (found) return found;
      }
    }
    while (at < text.length && !',}] \t\r\n'.includes(text[at]!)) at++; // number, true, false, null
    return undefined;
  };
  return walk('');
};
