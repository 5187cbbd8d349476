import type { QuarantineRecord } from '../../shared/state/quarantine-store.js';

/** The export of an instance's quarantine: a file to attach to a bug report or re-read with jq. */
export interface QuarantineExport {
  readonly instanceId: string;
  readonly exportedAt: string;
  readonly count: number;
  readonly records: readonly (Omit<QuarantineRecord, 'leaseId' | 'leaseExpiresAt' | 'raw'> & {
    /** The raw event or incident, parsed back when it was stored whole; the stored text otherwise. */
    readonly raw: unknown;
  })[];
}

const parsedRaw = (record: QuarantineRecord): unknown => {
  if (!record.rawComplete) return record.raw;
  try {
    return JSON.parse(record.raw);
  } catch {
    return record.raw;
  }
};

/** `ferry quarantine <id> --export` and the dashboard's download: every record, raw JSON parsed back. */
export const quarantineExport = (
  instanceId: string,
  records: readonly QuarantineRecord[],
  now: number,
): QuarantineExport => ({
  instanceId,
  exportedAt: new Date(now).toISOString(),
  count: records.length,
  records: records.map(({ leaseId: _l, leaseExpiresAt: _e, ...record }) => ({
    ...record,
    raw: parsedRaw(record),
  })),
});
