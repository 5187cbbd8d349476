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
      time_zone: 'UTC',
      fields: { ...minimal.fields, occurred_format: 'auto' },
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
    [
      'a time pattern with a wrong letter',
      { time_format: 'YYYY-MM-dd HH:mm' },
      'params.time_format must be one of "iso", "iso_seconds", "epoch_ms", "epoch_s", "epoch_seconds", "rfc1123" or a pattern such as "yyyy-MM-dd HH:mm"; "YYYY-MM-dd HH:mm" has "YYYY", which is not a field',
    ],
    [
      'an unquoted literal in the occurred pattern',
      { fields: { ...minimal.fields, occurred_format: 'yyyy-MM-ddTHH:mm' } },
      'params.fields.occurred_format must be "auto", one of',
    ],
    [
      'a time zone that is not IANA',
      { time_zone: 'EST5' },
      'params.time_zone must be an IANA time zone such as "Europe/Berlin" or "UTC"; "EST5" is not one',
    ],
    [
      'a Content-Type that is neither JSON nor a form',
      { method: 'POST', body: { since: '{{start}}' }, headers: { 'Content-Type': 'text/xml' } },
      'params headers: Content-Type "text/xml" is neither JSON nor application/x-www-form-urlencoded',
    ],
    [
      'a Content-Type that contradicts body_type',
      {
        method: 'POST',
        body: { since: '{{start}}' },
        body_type: 'json',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      'contradicts "body_type": "json"',
    ],
    [
      'a nested object in a form body',
      { method: 'POST', body: { since: '{{start}}', filter: { a: 1 } }, body_type: 'form' },
      'params.body "filter" is an object; a form body holds only strings',
    ],
    [
      'an OAuth2 auth without its token URL',
      { auth: { type: 'oauth2', scope: 'x' } },
      'params.auth.token_url must be an absolute http(s) URL',
    ],
    [
      'an unknown client authentication',
      {
        auth: {
          type: 'oauth2',
          token_url: 'https://login.example.com/token',
          client_auth: 'private_key_jwt',
        },
      },
      'params.auth.client_auth must be "client_secret_basic" or "client_secret_post"',
    ],
    [
      'a details request that sends no ids',
      { details: { url: 'https://api.example.com/alerts/entities', method: 'POST', body: { all: true } } },
      'params.details must send the ids it asks details for',
    ],
    [
      'a details request on another origin',
      { details: { url: 'https://evil.example.net/entities', query_params: { ids: '{{ids}}' } } },
      'params.details.url must be on https://api.example.com, the origin of url',
    ],
    [
      'a per-id details request with a batch',
      { details: { url: 'https://api.example.com/threats/{{id}}', batch_size: 50 } },
      'params.details.batch_size must be 1 (or left out) when the details request uses {{id}}',
    ],
    [
      'a details cursor pagination that sends its cursor nowhere',
      {
        details: {
          url: 'https://api.example.com/entities',
          query_params: { ids: '{{ids}}' },
          pagination: { type: 'cursor', cursor_path: 'meta.next' },
        },
      },
      'params.details.pagination.param is required unless details.query_params or details.body uses {{cursor}}',
    ],
    [
      'a details {{cursor}} without a cursor pagination',
      {
        details: {
          url: 'https://api.example.com/entities',
          query_params: { ids: '{{ids}}', after: '{{cursor}}' },
        },
      },
      'params.details uses {{cursor}}, which only a "cursor" details.pagination fills',
    ],
    [
      'a details page parameter also in its query_params',
      {
        details: {
          url: 'https://api.example.com/entities',
          query_params: { ids: '{{ids}}', page: 1 },
          pagination: { type: 'page', param: 'page' },
        },
      },
      'params.details.query_params.page is set by details.pagination',
    ],
    [
      'an unknown details pagination',
      {
        details: {
          url: 'https://api.example.com/entities',
          query_params: { ids: '{{ids}}' },
          pagination: { type: 'scroll' },
        },
      },
      'params.details.pagination.type must be "none", "page", "offset", "cursor", "link" or "next_url"',
    ],
    [
      'a details page_size without a details pagination',
      {
        details: {
          url: 'https://api.example.com/entities',
          query_params: { ids: '{{ids}}' },
          page_size: 100,
        },
      },
      'params.details.page_size is read only with a details.pagination',
    ],
    [
      'a details max_pages of 0',
      {
        details: { url: 'https://api.example.com/entities', query_params: { ids: '{{ids}}' }, max_pages: 0 },
      },
      'params.details.max_pages must be at least 1',
    ],
    [
      'a details placeholder in the main request',
      { query_params: { since: '{{start}}', ids: '{{ids}}' } },
      'params.query_params.ids uses {{ids}}; a request may use only',
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
