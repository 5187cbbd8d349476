import { ConfigError, InvokeError } from '../../shared/errors.js';
import { isRedriveOutcome } from '../../shared/handler/fetch-handler-result.js';
import type { RedriveOutcome } from '../../shared/quarantine/redrive.js';
import { redact } from '../../shared/redact.js';
import type { QuarantineRecord } from '../../shared/state/quarantine-store.js';
import { color } from './format.js';
import type { OperatorEnvironment } from './operator-environment.js';
import { quarantineExport } from './quarantine-export.js';

export interface QuarantineOptions {
  /** Print every record as JSON (raw events parsed back), for a file or jq. */
  readonly export?: boolean;
  /** Re-drive `ids`, or every held record when `ids` is empty. */
  readonly redrive?: boolean;
  readonly ids?: readonly string[];
  /** Delete one record (the operator gave up on it). */
  readonly discard?: string;
  readonly json?: boolean;
}

const ID = /^[0-9a-f]{16}$/;

const time = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const cut = (text: string, length: number) => (text.length > length ? `${text.slice(0, length - 1)}…` : text);

/** The quarantine as a table, newest first. */
export const formatQuarantine = (records: readonly QuarantineRecord[]): string => {
  if (records.length === 0) return 'The quarantine is empty: every event fetched became an incident.';
  const header = ['id', 'last seen', 'status', 'source id', 'reason'];
  const rows = records.map((r) => [
    r.quarantineId,
    time(r.lastQuarantinedAt),
    r.status,
    cut(r.sourceId ?? '—', 24),
    cut(`${r.reason.field}: ${(r.lastRedriveError ?? r.reason).message}`, 100),
  ]);
  const widths = header.slice(0, -1).map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < widths.length ? c.padEnd(widths[i]!) : c)).join('  ');
  return [color.bold(line(header)), ...rows.map(line)].join('\n');
};

const printRedrive = (outcome: RedriveOutcome): void => {
  for (const d of outcome.delivered)
    console.log(`${color.green('delivered')}  ${d.quarantineId}  ${d.sourceId ?? ''}  key ${d.key}`);
  for (const s of outcome.stillInvalid)
    console.log(`${color.red('still invalid')}  ${s.quarantineId}  ${s.reason.field}: ${s.reason.message}`);
  for (const s of outcome.skipped) console.log(`${color.yellow('skipped')}  ${s.quarantineId}  ${s.why}`);
  console.log(
    `${outcome.delivered.length} delivered, ${outcome.stillInvalid.length} still invalid (kept), ${outcome.skipped.length} skipped; recorded in the history.`,
  );
};

/**
 * `ferry quarantine <instance> [--export | --redrive [id...] | --discard <id>]`: the events of an
 * instance that could not become incidents. Listing and export read the state table; a re-drive runs in
 * the instance's connector function (locally, or the deployed Lambda with `--aws`), because it pushes
 * through the instance's sink with the sink's credentials.
 */
export const commandQuarantine = async (
  env: Pick<OperatorEnvironment, 'quarantine' | 'invoke'>,
  instanceId: string,
  options: QuarantineOptions,
): Promise<number> => {
  const ids = options.ids ?? [];
  const bad = [...ids, ...(options.discard ? [options.discard] : [])].find((id) => !ID.test(id));
  if (bad !== undefined) {
    throw new ConfigError(
      `"${cut(bad, 40)}" is not a quarantine id (16 hex digits, as "ferry quarantine ${instanceId}" lists them).`,
      instanceId,
    );
  }
  if ([options.export, options.redrive, options.discard !== undefined].filter(Boolean).length > 1) {
    throw new ConfigError('Use one of --export, --redrive and --discard at a time.');
  }
  if (ids.length > 0 && !options.redrive) {
    throw new ConfigError(`Ids are for --redrive: ferry quarantine ${instanceId} --redrive ${ids.join(' ')}`);
  }
  if (options.redrive) {
    const outcome = await env.invoke(
      instanceId,
      'redrive',
      ids.length > 0 ? { quarantineIds: [...ids] } : {},
    );
    if (!isRedriveOutcome(outcome))
      throw new InvokeError(`The function answered a re-drive with ${JSON.stringify(outcome)}.`);
    const attempted = outcome.delivered.length + outcome.stillInvalid.length + outcome.skipped.length;
    if (outcome.error && attempted === 0) {
      // It could not start (its configuration, a secret or the sink is unusable): say why, once.
      console.error(color.red(`${outcome.error.code}: ${outcome.error.message}`));
      return 1;
    }
    if (options.json) console.log(JSON.stringify(redact(outcome), null, 2));
    else printRedrive(outcome);
    if (outcome.error) console.error(color.red(`${outcome.error.code}: ${outcome.error.message}`));
    return outcome.error || outcome.stillInvalid.length > 0 || outcome.skipped.length > 0 ? 1 : 0;
  }
  if (options.discard) {
    const existed = await env.quarantine.discard(instanceId, options.discard, Date.now());
    console.log(
      existed
        ? `Discarded ${options.discard}: no longer listed or re-driven; removed with its TTL.`
        : `No held quarantined event "${options.discard}".`,
    );
    return existed ? 0 : 1;
  }
  const records = await env.quarantine.list(instanceId);
  if (options.export)
    console.log(JSON.stringify(redact(quarantineExport(instanceId, records, Date.now())), null, 2));
  else if (options.json) console.log(JSON.stringify(redact(records), null, 2));
  else {
    console.log(formatQuarantine(redact(records)));
    if (records.some((r) => r.status === 'held'))
      console.error(color.dim(`Re-drive once fixed: ferry quarantine ${instanceId} --redrive [id...]`));
  }
  return 0;
};
