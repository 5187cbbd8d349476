import { describe, expect, it } from 'vitest';
import { readPath } from '../../../functions/httpjson/json-path.js';
import { linkTarget } from '../../../functions/httpjson/link-header.js';
import { httpJsonParams } from '../../../functions/httpjson/params.js';
import {
  readItemField,
  renderRequestBody,
  renderRequestValue,
} from '../../../functions/httpjson/template.js';
import { mapSeverity } from '../../../functions/httpjson/to-incident.js';
import { formatWindowEdge, parseItemTime } from '../../../functions/httpjson/window-time.js';
import { resetDelayMs, retryAfterMs } from '../../../shared/retry.js';

describe('dot paths', () => {
  const item = { a: { b: [{ c: 'deep' }] }, '@odata.nextLink': 'next', list: [1, 2] };

  it.each([
    ['a.b[0].c', 'deep'],
    ['a.b.0.c', 'deep'],
    ['["@odata.nextLink"]', 'next'],
    ['list[1]', 2],
    ['a.missing.c', undefined],
    ['', item],
  ])('read %s', (path, expected) => {
    expect(readPath(item, path)).toEqual(expected);
  });
});

describe('templates', () => {
  it('keep the type of a lone request placeholder and leave a missing one out', () => {
    expect(renderRequestValue('{{limit}}', { limit: 100 })).toBe(100);
    expect(renderRequestValue('{{cursor}}', {})).toBeUndefined();
    expect(renderRequestValue('created>="{{start}}"', { start: '2026-01-01T00:00:00.000Z' })).toBe(
      'created>="2026-01-01T00:00:00.000Z"',
    );
    expect(
      renderRequestBody(
        { from: '{{start}}', size: '{{limit}}', page: { token: '{{cursor}}' } },
        { start: 5, limit: 10 },
      ),
    ).toEqual({
      from: 5,
      size: 10,
      page: {},
    });
  });

  it('fill an item template from dot paths; a path alone keeps objects as JSON', () => {
    const item = { title: 'Disk full', service: { summary: 'db' }, tags: ['a'] };

    expect(readItemField(item, '{{title}} on {{service.summary}}{{missing}}')).toBe('Disk full on db');
    expect(readItemField(item, 'tags')).toBe('["a"]');
    expect(readItemField(item, 'missing')).toBeUndefined();
  });
});

describe('Link headers (RFC 8288)', () => {
  it('find rel="next" among several links, with commas in the URL and quoted parameters', () => {
    const header =
      '<https://x.okta.com/api/v1/logs?after=1,2>; rel="self", </api/v1/logs?after=3,4>; title="a, b; c"; rel="prev next"';

    expect(linkTarget(header, 'next', 'https://x.okta.com/api/v1/logs')).toBe(
      'https://x.okta.com/api/v1/logs?after=3,4',
    );
    expect(linkTarget('<https://x>; rel=prev', 'next', 'https://x')).toBeUndefined();
    expect(linkTarget(null, 'next', 'https://x')).toBeUndefined();
  });
});

describe('window times', () => {
  const start = new Date('2026-03-10T12:00:00.400Z');
  const end = new Date('2026-03-10T12:05:00.400Z');

  it('widen the window when written coarser: the start rounds down, the end up', () => {
    expect(formatWindowEdge(start, 'iso', 'start')).toBe('2026-03-10T12:00:00.400Z');
    expect(formatWindowEdge(start, 'iso_seconds', 'start')).toBe('2026-03-10T12:00:00Z');
    expect(formatWindowEdge(end, 'iso_seconds', 'end')).toBe('2026-03-10T12:05:01Z');
    expect(formatWindowEdge(start, 'epoch_seconds', 'start')).toBe(1773144000);
    expect(formatWindowEdge(end, 'epoch_seconds', 'end')).toBe(1773144301);
    expect(formatWindowEdge(end, 'epoch_ms', 'end')).toBe(1773144300400);
  });

  it.each([
    ['2026-03-10T12:00:00Z', 1773144000000],
    ['2026-03-10T12:00:00.250+01:00', 1773140400250],
    ['2026-03-10T12:00:00', 1773144000000],
    [1773144000, 1773144000000],
    [1773144000250, 1773144000250],
    ['1773144000', 1773144000000],
    ['yesterday', undefined],
    [null, undefined],
  ])('read the item time %s', (value, expected) => {
    expect(parseItemTime(value)).toBe(expected);
  });
});

describe('severity', () => {
  const params = httpJsonParams.parse({
    url: 'https://x.example/e',
    auth: { type: 'none' },
    query_params: { since: '{{start}}' },
    fields: { id: 'id', occurred: 'ts', name: 'title', severity: 'level' },
    severity_map: { WARN: 'medium', P1: 4 },
  });

  it.each([
    ['WARN', 2],
    ['warn', 2],
    ['P1', 4],
    ['high', 3],
    ['Informational', 0.5],
    ['3', 3],
    ['bogus', 0],
    [undefined, 0],
  ])('maps %s to %s', (value, expected) => {
    expect(mapSeverity(params, value)).toBe(expected);
  });
});

describe('rate-limit reset headers', () => {
  const now = Date.parse('2026-03-10T12:00:00.000Z');

  it('read epoch seconds or seconds from now, as the source says or by size', () => {
    expect(resetDelayMs('1773144030', 'epoch_seconds', now)).toBe(30_000);
    expect(resetDelayMs('30', 'seconds', now)).toBe(30_000);
    expect(resetDelayMs('1773144030', 'auto', now)).toBe(30_000);
    expect(resetDelayMs('30', 'auto', now)).toBe(30_000);
    expect(resetDelayMs('', 'auto', now)).toBeUndefined();
  });

  it("prefer Retry-After, then the source's own reset header (Okta's X-Rate-Limit-Reset)", () => {
    const okta = new Headers({ 'x-rate-limit-reset': '1773144002' });
    const both = new Headers({ 'retry-after': '5', 'x-rate-limit-reset': '1773144002' });
    const rateLimit = { reset: 'X-Rate-Limit-Reset', resetFormat: 'epoch_seconds' as const };

    expect(retryAfterMs(okta, now)).toBeUndefined();
    expect(retryAfterMs(okta, now, rateLimit)).toBe(2_000);
    expect(retryAfterMs(both, now, rateLimit)).toBe(5_000);
  });
});
