/**
 * Reads an RFC 8288 `Link` header: `<https://…?after=abc>; rel="next", <https://…>; rel="self"`.
 * Target URLs may hold commas and parameters may be quoted strings, so it is tokenized, not split.
 */

interface Link {
  readonly target: string;
  readonly params: Readonly<Record<string, string>>;
}

const parseLinks = (header: string): Link[] => {
  const links: Link[] = [];
  let at = 0;
  const skip = (chars: string) => {
    while (at < header.length && chars.includes(header[at]!)) at++;
  };
  while (at < header.length) {
    skip(' \t,');
    if (header[at] !== '<') break;
    const close = header.indexOf('>', at);
    if (close === -1) break;
    const target = header.slice(at + 1, close).trim();
    at = close + 1;
    const params: Record<string, string> = {};
    for (;;) {
      skip(' \t');
      if (header[at] !== ';') break;
      at++;
      skip(' \t');
      const nameMatch = /^[^=;,\s]+/.exec(header.slice(at));
      if (!nameMatch) break;
      const name = nameMatch[0].toLowerCase();
      at += nameMatch[0].length;
      skip(' \t');
      let value = '';
      if (header[at] === '=') {
        at++;
        skip(' \t');
        if (header[at] === '"') {
          at++;
          while (at < header.length && header[at] !== '"') {
            if (header[at] === '\\') at++;
            value += header[at] ?? '';
            at++;
          }
          at++;
        } else {
          const token = /^[^;,\s]*/.exec(header.slice(at))![0];
          value = token;
          at += token.length;
        }
      }
      // RFC 8288 §3: only the first occurrence of a parameter counts.
      if (!(name in params)) params[name] = value;
    }
    links.push({ target, params });
  }
  return links;
};

/**
 * The target of the link whose `rel` includes `relation` (`rel` may list several, space-separated),
 * resolved against `base`; `undefined` when there is none.
 * @example linkTarget('<https://x/logs?after=1>; rel="next"', 'next', 'https://x/logs') // 'https://x/logs?after=1'
 */
export const linkTarget = (header: string | null, relation: string, base: string): string | undefined => {
  if (!header) return undefined;
  for (const link of parseLinks(header)) {
    const rels = (link.params.rel ?? '').toLowerCase().split(/\s+/);
    if (rels.includes(relation)) return new URL(link.target, base).toString();
  }
  return undefined;
};
