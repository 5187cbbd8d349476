import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { httpjson } from '../../../functions/httpjson/connector.js';
import { httpJsonParams } from '../../../functions/httpjson/params.js';
import { resolveParams } from '../../../shared/config/resolve-settings.js';
import { instanceDocumentSchema } from '../../../shared/config/schema.js';
import { ConfigError } from '../../../shared/errors.js';
import { loadExample } from '../../helpers/vendors/httpjson-examples.js';

const minimal = {
  url: 'https://api.example.com/events',
  auth: { type: 'bearer' },
  query_params: { since: '{{start}}' },
  fields: { id: 'id', occurred: 'created', name: 'title' },
};

/** The error an instance with these httpjson params gets, as the CLI and the history show it. */
const refusal = (params: Record<string, unknown>): string => {
  const document = instanceDocumentSchema.parse({
    id: 'feed',
    connector: 'httpjson',
    params,
    secrets: { token: { env: 'FEED_TOKEN' } },
    sink: { type: 'ferry' },
  });
  try {
    resolveParams(document, httpjson, new Date());
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('the params were accepted');
};

describe('the httpjson parameters', () => {
  it.each(readdirSync(new URL('../../../examples/httpjson/', import.meta.url)))(
    'accept the example %s as it is',
    (file) => {
      const example = loadExample(file);
      const document = instanceDocumentSchema.parse({ id: 'example', ...example, sink: { type: 'ferry' } });

      const { params } = resolveParams(document, httpjson, new Date());

      expect(params.url).toMatch(/^https:\/\//);
    },
  );

  it('fill in the defaults: GET, oldest first, filtered by the server, 100 a page, no pagination', () => {
    expect(httpJsonParams.parse(minimal)).toEqual({
      ...minimal,
      method: 'GET',
      headers: {},
      time_format: 'iso',
      items_path: '',
      labels: {},
      severity_map: {},
      order: 'asc',
      time_filter: 'server',
      page_size: 100,
      max_pages: 20,
      pagination: { type: 'none' },
    });
  });

  it.each([
    [
      'a query that does not send the window',
      { query_params: { q: 'x' } },
      'params.query_params must send the window\'s start, e.g. {"since": "{{start}}"}, or set "time_filter": "client"',
    ],
    [
      'an unknown placeholder',
      { query_params: { since: '{{from}}' } },
      'params.query_params.since uses {{from}}; a request may use only {{start}}, {{end}}, {{limit}}, {{cursor}} and {{query}}',
    ],
    [
      'a cursor with nowhere to go',
      { pagination: { type: 'cursor', cursor_path: 'next' } },
      'params.pagination.param is required unless query_params or body uses {{cursor}}',
    ],
    [
      'a paging parameter also in the query',
      { query_params: { since: '{{start}}', offset: '0' }, pagination: { type: 'offset', param: 'offset' } },
      'params.query_params.offset is set by the pagination',
    ],
    ['a body on a GET', { body: { since: '{{start}}' } }, 'params.body is sent only with "method": "POST"'],
    [
      'too few pages to fill one runner page',
      { page_size: 50, max_pages: 5 },
      'params.max_pages must be at least 20 with page_size 50',
    ],
    [
      'a header name with a space',
      { headers: { 'X Api': '1' } },
      'params headers: "X Api" is not an HTTP header name',
    ],
    [
      "a severity that is not XSOAR's",
      { severity_map: { P1: 'urgent' } },
      'params.severity_map.P1 must be one of "unknown", "info", "low", "medium", "high", "critical" or a number from 0 to 4',
    ],
    [
      'a max_wait that is not a duration',
      { rate_limit: { remaining_header: 'X-Left', max_wait: 'soon' } },
      'params.rate_limit.max_wait must be a duration',
    ],
    [
      'a field that is not a path',
      { fields: { id: 'a..b', occurred: 'created', name: 'title' } },
      'params.fields.id is not a dot path',
    ],
    [
      'an ftp URL',
      { url: 'ftp://example.com/events' },
      "params.url must be the endpoint's absolute http(s) URL",
    ],
    [
      'a header auth without its header',
      { auth: { type: 'header' } },
      'params.auth.header must be an HTTP header name',
    ],
  ])('refuse %s, naming the field and the fix', (_, change, message) => {
    expect(refusal({ ...minimal, ...change })).toContain(message);
  });

  it('refuse a credential written into headers without echoing it', () => {
    const message = refusal({ ...minimal, headers: { Authorization: 'Bearer s3cr3t-value' } });

    expect(message).toContain('headers.Authorization is refused: credentials come from "auth"');
    expect(message).not.toContain('s3cr3t-value');
  });
});
