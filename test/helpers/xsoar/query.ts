/**
 * The part of XSOAR's incident query language the stand-in answers: `field:"value"` or `field:value`
 * terms joined by `and` / `or` (and binds tighter), with parentheses. Sources: the swagger's
 * `IncidentFilter.query` (demisto-py server_api_swagger.json) and XSOAR's "Incident search" syntax
 * (a field name, a colon, the value; quoted values with `\"` escapes; `and`/`or`). Anything else is
 * refused with the parse error, so a query Ferry builds wrongly fails the test instead of matching
 * nothing.
 */

export type QueryNode =
  | { readonly kind: 'term'; readonly field: string; readonly value: string }
  | { readonly kind: 'and' | 'or'; readonly left: QueryNode; readonly right: QueryNode };

/** The fields the stand-in indexes. */
export const QUERY_FIELDS = ['dbotMirrorId', 'sourceInstance', 'sourceBrand', 'name', 'type', 'id'];

const tokenize = (query: string): string[] => {
  const tokens: string[] = [];
  let index = 0;
  while (index < query.length) {
    const char = query[index] as string;
    if (/\s/.test(char)) {
      index++;
    } else if (char === '(' || char === ')' || char === ':') {
      tokens.push(char);
      index++;
    } else if (char === '"') {
      let value = '"';
      index++;
      while (index < query.length && query[index] !== '"') {
        if (query[index] === '\\') index++;
        value += query[index] ?? '';
        index++;
      }
      if (query[index] !== '"') throw new Error(`unterminated quoted value at ${index}`);
      tokens.push(`${value}"`);
      index++;
    } else {
      const word = /^[^\s():"]+/.exec(query.slice(index))?.[0] as string;
      tokens.push(word);
      index += word.length;
    }
  }
  return tokens;
};

/** Parses a query, or throws with what is wrong. */
export const parseQuery = (query: string): QueryNode => {
  const tokens = tokenize(query);
  let position = 0;
  const peek = () => tokens[position];
  const take = () => tokens[position++];
  const term = (): QueryNode => {
    if (peek() === '(') {
      take();
      const inner = or();
      if (take() !== ')') throw new Error('missing ")"');
      return inner;
    }
    const field = take();
    if (field === undefined || take() !== ':') throw new Error(`expected field:value near "${field ?? ''}"`);
    if (!QUERY_FIELDS.includes(field)) throw new Error(`the stand-in does not index "${field}"`);
    const raw = take();
    if (raw === undefined || raw === '(' || raw === ')') throw new Error(`missing value for ${field}`);
    const value = raw.startsWith('"') ? raw.slice(1, -1) : raw;
    return { kind: 'term', field, value };
  };
  const and = (): QueryNode => {
    let left = term();
    while (peek()?.toLowerCase() === 'and') {
      take();
      left = { kind: 'and', left, right: term() };
    }
    return left;
  };
  const or = (): QueryNode => {
    let left = and();
    while (peek()?.toLowerCase() === 'or') {
      take();
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const node = or();
  if (position !== tokens.length) throw new Error(`unexpected "${tokens[position]}"`);
  return node;
};

export const matches = (node: QueryNode, incident: Record<string, unknown>): boolean => {
  if (node.kind === 'term') return String(incident[node.field] ?? '') === node.value;
  return node.kind === 'and'
    ? matches(node.left, incident) && matches(node.right, incident)
    : matches(node.left, incident) || matches(node.right, incident);
};
