import { describe, expect, it } from 'vitest';
import { securityhub } from '../../../functions/securityhub/connector.js';
import { findingSeverity } from '../../../functions/securityhub/finding-to-incident.js';
import { kitInstance, MemoryStateStore } from '../../../shared/kit/index.js';
import { closeAfterEach } from '../../helpers/close-after-each.js';
import { securityHubSource } from '../../helpers/vendors/aws-sources.js';

const MINUTE = 60_000;
const at = (ms: number) => new Date(ms).toISOString();
const track = closeAfterEach();

const start = async (params: Record<string, unknown> = {}) => {
  const source = await securityHubSource(params);
  track(source);
  return { source, hub: source.aws.securityHub };
};

describe('securityhub connector', () => {
  it('reads a window page by page with NextToken, filtered and sorted on the time field', async () => {
    const { source, hub } = await start({ page_size: 100 });
    const base = Date.now() - 50 * MINUTE;
    const ids = Array.from({ length: 250 }, (_, i) => hub.add({ CreatedAt: at(base + i * 10_000) }).Id);
    const instance = kitInstance(securityhub, source, new MemoryStateStore(), {
      first_fetch: '1 hour',
      max_fetch: 1000,
    });

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 250 });
    expect(instance.sink.pushedIds()).toEqual(ids);
    const requests = hub.calls.map((call) => call.input);
    expect(requests.map((input) => input.NextToken === undefined)).toEqual([true, false, false]);
    expect(requests[0]).toMatchObject({
      SortCriteria: [{ Field: 'CreatedAt', SortOrder: 'asc' }],
      MaxResults: 100,
      Filters: { CreatedAt: [{ Start: expect.any(String), End: expect.any(String) }] },
    });
  });

  it('ANDs the instance filters with the window, and follows UpdatedAt when asked', async () => {
    const { source, hub } = await start({
      time_field: 'UpdatedAt',
      filters: { RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }] },
    });
    const old = Date.now() - 3 * 86_400_000;
    const updated = hub.add({ CreatedAt: at(old), UpdatedAt: at(Date.now() - 5 * MINUTE) });
    hub.add({ CreatedAt: at(old), UpdatedAt: at(Date.now() - 4 * MINUTE), RecordState: 'ARCHIVED' });
    hub.add({ CreatedAt: at(Date.now() - 3 * MINUTE), UpdatedAt: at(Date.now() - 2 * 86_400_000) });
    const instance = kitInstance(securityhub, source, new MemoryStateStore(), { first_fetch: '1 hour' });

    await instance.fetch();

    expect(instance.sink.pushedIds()).toEqual([updated.Id]);
    const [incident] = instance.sink.batches[0]!.incidents;
    expect(incident!.occurred).toBe(updated.UpdatedAt);
  });

  it('maps a finding: title, severity on the 0–4 scale, Id as dbotMirrorId, ASFF as rawJSON, labels', async () => {
    const { source, hub } = await start();
    const finding = hub.add({
      CreatedAt: at(Date.now() - MINUTE),
      Severity: { Label: 'CRITICAL', Normalized: 90 },
    });
    const instance = kitInstance(securityhub, source, new MemoryStateStore(), { first_fetch: '1 hour' });

    await instance.fetch();

    const [incident] = instance.sink.batches[0]!.incidents;
    expect(incident).toMatchObject({
      name: finding.Title,
      occurred: finding.CreatedAt,
      dbotMirrorId: finding.Id,
      details: finding.Description,
      severity: 4,
      type: 'AWS Security Hub Finding',
    });
    expect(JSON.parse(incident!.rawJSON!)).toMatchObject({ Id: finding.Id, ProductArn: finding.ProductArn });
    expect(incident!.labels).toEqual(
      expect.arrayContaining([
        { type: 'account', value: '000000000000' },
        { type: 'workflow_status', value: 'NEW' },
        { type: 'resource_type', value: 'AwsAccount' },
      ]),
    );
  });

  it.each([
    [{ Label: 'INFORMATIONAL' }, 0.5],
    [{ Label: 'LOW' }, 1],
    [{ Label: 'HIGH' }, 3],
    [{ Normalized: 0 }, 0.5],
    [{ Normalized: 39 }, 1],
    [{ Normalized: 40 }, 2],
    [{ Normalized: 89 }, 3],
    [{ Normalized: 95 }, 4],
    [{}, 0],
  ])('maps Severity %j to %d', (severity, expected) => {
    expect(findingSeverity(severity as Parameters<typeof findingSeverity>[0])).toBe(expected);
  });

  it('fails the Test button and a fetch with SOURCE_AUTH naming the action when the role is denied', async () => {
    const { source, hub } = await start();
    hub.denyAccess(true);
    const store = new MemoryStateStore();
    const instance = kitInstance(securityhub, source, store, { first_fetch: '1 hour' });

    const tested = await instance.test();
    const fetched = await instance.fetch();

    expect(tested).toMatchObject({ ok: false, error: { code: 'SOURCE_AUTH' } });
    expect(tested.error?.message).toContain(
      'securityhub:GetFindings on arn:aws:securityhub:us-east-1:<account>:hub/default',
    );
    expect(tested.error?.message).toContain('execution role');
    expect(fetched).toMatchObject({ status: 'error', error: { code: 'SOURCE_AUTH' } });
    expect((await store.read(instance.document.id))?.lastRun).toEqual({});
  });

  it('says Security Hub is not enabled when the account is not subscribed', async () => {
    const { source, hub } = await start();
    hub.setEnabled(false);

    const tested = await kitInstance(securityhub, source, new MemoryStateStore()).test();

    expect(tested).toMatchObject({ ok: false, error: { code: 'SOURCE_AUTH' } });
    expect(tested.error?.message).toContain('not subscribed to AWS Security Hub');
  });

  it('surfaces a filter the service refuses as an error naming the service message', async () => {
    const { source } = await start({ filters: { Title: [{ Value: 'x', Comparison: 'LIKE' }] } });

    const tested = await kitInstance(securityhub, source, new MemoryStateStore()).test();

    expect(tested).toMatchObject({ ok: false, error: { code: 'SOURCE_HTTP' } });
    expect(tested.error?.message).toContain('InvalidInputException: Invalid comparison LIKE');
  });
});
