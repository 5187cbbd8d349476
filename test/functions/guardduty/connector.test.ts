import { describe, expect, it } from 'vitest';
import { guardduty } from '../../../functions/guardduty/connector.js';
import { guardDutySeverity } from '../../../functions/guardduty/finding-to-incident.js';
import { kitInstance, MemoryStateStore } from '../../../shared/kit/index.js';
import { closeAfterEach } from '../../helpers/close-after-each.js';
import { guardDutySource } from '../../helpers/vendors/aws-sources.js';

const MINUTE = 60_000;
const at = (ms: number) => new Date(ms).toISOString();
const track = closeAfterEach();

const start = async (params: Record<string, unknown> = {}) => {
  const source = await guardDutySource(params);
  track(source);
  return { source, gd: source.aws.guardDuty };
};

describe('guardduty connector', () => {
  it('chains ListFindings pages to GetFindings of at most 50 ids, on updatedAt in epoch ms', async () => {
    const { source, gd } = await start();
    const base = Date.now() - 50 * MINUTE;
    const ids = Array.from({ length: 120 }, (_, i) => gd.add({ updatedAt: at(base + i * 20_000) }).id);
    const instance = kitInstance(guardduty, source, new MemoryStateStore(), {
      first_fetch: '1 hour',
      max_fetch: 1000,
    });

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 120 });
    expect(instance.sink.pushedIds()).toEqual(ids);
    expect(gd.calls.map((call) => call.operation)).toEqual([
      'ListFindings',
      'GetFindings',
      'ListFindings',
      'GetFindings',
      'ListFindings',
      'GetFindings',
    ]);
    const gets = gd.calls.filter((call) => call.operation === 'GetFindings');
    expect(gets.map((call) => (call.input.findingIds as string[]).length)).toEqual([50, 50, 20]);
    const criterion = (gd.calls[0]!.input.findingCriteria as { criterion: Record<string, unknown> })
      .criterion;
    expect(criterion).toMatchObject({
      updatedAt: { greaterThanOrEqual: expect.any(Number), lessThan: expect.any(Number) },
      'service.archived': { equals: ['false'] },
    });
  });

  it('leaves archived findings out unless include_archived, and ANDs the instance criteria', async () => {
    const { source, gd } = await start({ criteria: { severity: { GreaterThanOrEqual: 7 } } });
    const kept = gd.add({ updatedAt: at(Date.now() - 3 * MINUTE), severity: 8 });
    gd.add({ updatedAt: at(Date.now() - 2 * MINUTE), severity: 2 });
    gd.add({
      updatedAt: at(Date.now() - MINUTE),
      severity: 9,
      service: { archived: true, detectorId: source.detectorId },
    });
    const instance = kitInstance(guardduty, source, new MemoryStateStore(), { first_fetch: '1 hour' });

    await instance.fetch();

    expect(instance.sink.pushedIds()).toEqual([kept.id]);
  });

  it('maps a finding: title, severity by GuardDuty level, Id, UpdatedAt as occurred, labels', async () => {
    const { source, gd } = await start();
    const finding = gd.add({
      updatedAt: at(Date.now() - MINUTE),
      createdAt: at(Date.now() - 90 * MINUTE),
      severity: 5.5,
    });
    const instance = kitInstance(guardduty, source, new MemoryStateStore(), { first_fetch: '1 hour' });

    await instance.fetch();

    const [incident] = instance.sink.batches[0]!.incidents;
    expect(incident).toMatchObject({
      name: finding.title,
      occurred: finding.updatedAt,
      dbotMirrorId: finding.id,
      severity: 2,
      type: 'AWS GuardDuty Finding',
    });
    expect(JSON.parse(incident!.rawJSON!)).toMatchObject({
      Id: finding.id,
      Type: finding.type,
      Severity: 5.5,
    });
    expect(incident!.labels).toEqual(
      expect.arrayContaining([
        { type: 'finding_type', value: finding.type },
        { type: 'created_at', value: finding.createdAt },
        { type: 'detector_id', value: source.detectorId },
      ]),
    );
  });

  it.each([
    [1, 1],
    [3.9, 1],
    [4, 2],
    [6.9, 2],
    [7, 3],
    [8.9, 3],
    [9, 4],
    [10, 4],
  ])('maps a GuardDuty severity of %d to %d', (score, expected) => {
    expect(guardDutySeverity(score)).toBe(expected);
  });

  it('names the detector when it is not the account’s, and the action when the role is denied', async () => {
    const { source, gd } = await start({ detector_id: 'ffffffffffffffffffffffffffffffff' });

    const unknown = await kitInstance(guardduty, source, new MemoryStateStore()).test();
    gd.denyAccess(true);
    const denied = await kitInstance(guardduty, source, new MemoryStateStore()).test();

    expect(unknown).toMatchObject({ ok: false, error: { code: 'SOURCE_HTTP' } });
    expect(unknown.error?.message).toContain('detector/ffffffffffffffffffffffffffffffff');
    expect(unknown.error?.message).toContain('not owned by the current account');
    expect(denied).toMatchObject({ ok: false, error: { code: 'SOURCE_AUTH' } });
    expect(denied.error?.message).toContain(
      'guardduty:ListFindings on arn:aws:guardduty:us-east-1:<account>:detector/',
    );
  });
});
