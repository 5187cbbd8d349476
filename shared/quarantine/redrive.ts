import { randomUUID } from 'node:crypto';
import { resolveParams } from '../config/resolve-settings.js';
import type { InstanceDocument } from '../config/schema.js';
import type { Connector, ConnectorContext } from '../connector.js';
import { ErrorCodes, errorCode, errorMessage } from '../errors.js';
import { createIntegrationContext } from '../integration-context.js';
import type { Logger } from '../logger.js';
import { redact } from '../redact.js';
import { createFetchContext } from '../runner/fetch-context.js';
import type { KeyedIncident, Sink } from '../sinks/sink.js';
import { emptyHistoryRecord, MAX_SOURCE_IDS, RunStatus } from '../state/history-record.js';
import { type QuarantineRecord, QuarantineStatus, type QuarantineStore } from '../state/quarantine-store.js';
import type { StateStore } from '../state/state-store.js';
import { partitionIncidents, type QuarantineReason } from './partition-incidents.js';
import { mapEventSafely } from './unmappable-event.js';

/**
 * Re-drive: a quarantined event is taken through the per-event steps again and, if it now becomes a
 * valid incident, pushed through the instance's sink under the key a fetch would have used.
 *
 * "Again" means with what is deployed now: a time-window connector's current `toIncident` (code and
 * parameters) maps the stored source event (the event itself, or the `rawJSON` of the incident it made),
 * then the current validation runs. So a re-drive delivers once the connector, its mapping parameters or
 * Ferry's validation was fixed. An own-cursor connector exposes no mapping, so its stored incident is
 * validated again as it was. A record stored cut (over 64 KiB or 32 levels) cannot be re-driven.
 *
 * Exactly once: each record is claimed (a conditional write) before its push and marked `redriven`
 * after it; a crash in between leaves the claim to expire, and the next re-drive pushes the same key,
 * which the sink keeps once. The instance's cursor and lease are never touched.
 */

export interface RedriveInput {
  readonly document: InstanceDocument;
  readonly connector: Connector;
  readonly secrets: () => Promise<Record<string, string>>;
  /** Epoch ms by which the invocation must be done; records not reached stay held. */
  readonly deadline: number;
  /** The records to re-drive. @default every held record of the instance */
  readonly quarantineIds?: readonly string[];
  readonly runId?: string;
}

export interface RedriveDeps {
  readonly store: StateStore;
  readonly quarantine: QuarantineStore;
  readonly sink: Sink;
  readonly logger: Logger;
  /** @default Date.now */
  readonly clock?: () => number;
}

/** What a re-drive did with each record. */
export interface RedriveOutcome {
  /** Tags the handler's answer (see `FetchHandlerResult`). */
  readonly kind: 'redrive';
  readonly instanceId: string;
  readonly runId: string;
  /** Pushed and marked `redriven`, with the key they went under. */
  readonly delivered: { readonly quarantineId: string; readonly key: string; readonly sourceId?: string }[];
  /** Still not valid incidents: left held, with today's reason. */
  readonly stillInvalid: { readonly quarantineId: string; readonly reason: QuarantineReason }[];
  /** Not attempted: already re-driven, re-driven by someone else right now, unknown, or out of time. */
  readonly skipped: { readonly quarantineId: string; readonly why: string }[];
  /** What stopped the re-drive as a whole (no secrets, the sink refused). */
  readonly error?: { code: string; message: string };
}

/** Records claimed and pushed together. */
const BATCH = 50;
/** Time kept back for marking the last batch and the history record. */
const RESERVE_MS = 2_000;

const reason = (field: string, message: string): QuarantineReason => ({
  code: ErrorCodes.INCIDENT_INVALID,
  field,
  message,
});

/** The incident a record becomes today, or why it still cannot. */
export const remapRecord = (
  record: QuarantineRecord,
  connector: Connector,
  ctx: ConnectorContext,
): { incident: unknown } | { reason: QuarantineReason } => {
  if (!record.rawComplete) {
    return {
      reason: reason(
        '(raw)',
        `It was stored cut (over 64 KiB or 32 levels deep), so it cannot be re-driven from the quarantine${record.sourceId ? `; fetch event "${record.sourceId}" again from the source` : ''}.`,
      ),
    };
  }
  let stored: unknown;
  try {
    stored = JSON.parse(record.raw);
  } catch {
    return { reason: reason('(raw)', 'Its stored JSON does not parse; it cannot be re-driven.') };
  }
  let event: unknown;
  if (record.rawKind === 'event') event = stored;
  else {
    const rawJSON = (stored as { rawJSON?: unknown } | null)?.rawJSON;
    if (connector.style !== 'window' || typeof rawJSON !== 'string') return { incident: stored };
    try {
      event = JSON.parse(rawJSON);
    } catch {
      return { incident: stored };
    }
  }
  if (connector.style !== 'window') {
    return {
      reason: reason(
        '(mapping)',
        `The "${connector.name}" connector has no per-event mapping to apply again.`,
      ),
    };
  }
  return { incident: mapEventSafely(event, (one) => connector.toIncident(one, ctx)).incident };
};

/**
 * Re-drives quarantined events of one instance (see the module's comment). Never throws for a record:
 * each ends delivered, still invalid or skipped; the run is one history record (action `redrive`).
 */
export const runRedrive = async (input: RedriveInput, deps: RedriveDeps): Promise<RedriveOutcome> => {
  const clock = deps.clock ?? Date.now;
  const { document, connector } = input;
  const runId = input.runId ?? randomUUID();
  const startedAt = clock();
  const logger = deps.logger.child({ instanceId: document.id, connector: connector.name, runId });
  const outcome: RedriveOutcome = {
    kind: 'redrive',
    instanceId: document.id,
    runId,
    delivered: [],
    stillInvalid: [],
    skipped: [],
  };
  let error: RedriveOutcome['error'];
  try {
    const ids =
      input.quarantineIds ??
      (await deps.quarantine.list(document.id, { status: QuarantineStatus.held })).map((r) => r.quarantineId);
    const now = new Date(startedAt);
    const { settings, params } = resolveParams(document, connector, now);
    const { ctx } = createFetchContext({
      instanceId: document.id,
      params,
      secrets: await input.secrets(),
      settings,
      lastRun: {},
      now,
      logger,
      context: createIntegrationContext(deps.store, document.id),
      signal: AbortSignal.timeout(Math.max(1, input.deadline - RESERVE_MS - startedAt)),
    });
    for (let start = 0; start < ids.length; start += BATCH) {
      if (clock() > input.deadline - RESERVE_MS) {
        for (const id of ids.slice(start))
          outcome.skipped.push({ quarantineId: id, why: 'out of time; run the re-drive again' });
        break;
      }
      await redriveBatch(ids.slice(start, start + BATCH), { input, deps, ctx, runId, outcome, clock });
    }
  } catch (failure) {
    error = redact({ code: errorCode(failure), message: errorMessage(failure) });
    logger.error('Re-drive stopped', { error });
  }
  const record = redact({
    ...emptyHistoryRecord({
      instanceId: document.id,
      connector: connector.name,
      runId,
      startedAt: new Date(startedAt).toISOString(),
      status: error ? RunStatus.error : RunStatus.operator,
    }),
    durationMs: clock() - startedAt,
    action: 'redrive',
    pulled: outcome.delivered.length + outcome.stillInvalid.length,
    pushed: outcome.delivered.length,
    quarantined: outcome.stillInvalid.length,
    sourceIds: outcome.delivered.flatMap((d) => (d.sourceId ? [d.sourceId] : [])).slice(0, MAX_SOURCE_IDS),
    sourceIdCount: outcome.delivered.length,
    message:
      `Re-drive of quarantined events: ${outcome.delivered.length} delivered, ${outcome.stillInvalid.length} still invalid (kept), ` +
      `${outcome.skipped.length} skipped; the last run was not touched.`,
    ...(error ? { error } : {}),
  });
  await deps.store
    // Identifiers are config, never secrets: the record stays under its key whatever a secret holds.
    .writeHistory({ ...record, instanceId: document.id, runId })
    .catch((writeError) => logger.error('Could not write the history record', { error: writeError }));
  return error ? { ...outcome, error } : outcome;
};

interface BatchScope {
  readonly input: RedriveInput;
  readonly deps: RedriveDeps;
  readonly ctx: ConnectorContext;
  readonly runId: string;
  readonly outcome: RedriveOutcome;
  readonly clock: () => number;
}

/** Claims, maps and validates a batch of records, pushes the valid ones in one batch, settles each. */
const redriveBatch = async (ids: readonly string[], scope: BatchScope): Promise<void> => {
  const { input, deps, ctx, runId, outcome, clock } = scope;
  const instanceId = input.document.id;
  const lease = { leaseId: runId, now: clock(), expiresAt: input.deadline + 5_000 };
  const ready: { record: QuarantineRecord; keyed: KeyedIncident }[] = [];
  for (const id of ids) {
    let record: QuarantineRecord;
    try {
      record = await deps.quarantine.claim(instanceId, id, lease);
    } catch (claimError) {
      outcome.skipped.push({ quarantineId: id, why: errorMessage(claimError) });
      continue;
    }
    const remapped = remapRecord(record, input.connector, ctx);
    const checked = 'incident' in remapped ? partitionIncidents([remapped.incident]) : undefined;
    const keyed = checked?.keyed[0];
    if (!keyed) {
      const why = 'reason' in remapped ? remapped.reason : checked!.quarantined[0]!.reason;
      await deps.quarantine.settle(instanceId, id, { leaseId: runId, now: clock(), failed: why });
      outcome.stillInvalid.push({ quarantineId: id, reason: why });
      continue;
    }
    ready.push({ record, keyed });
  }
  if (ready.length === 0) return;
  try {
    await deps.sink.push(
      { instance: instanceId, connector: input.connector.name, runId, incidents: ready.map((r) => r.keyed) },
      { deadline: input.deadline - RESERVE_MS },
    );
  } catch (pushError) {
    const why = { code: errorCode(pushError), field: '(sink)', message: errorMessage(pushError) };
    for (const { record } of ready) {
      await deps.quarantine.settle(instanceId, record.quarantineId, {
        leaseId: runId,
        now: clock(),
        failed: why,
      });
    }
    throw pushError;
  }
  for (const { record, keyed } of ready) {
    await deps.quarantine.settle(instanceId, record.quarantineId, {
      leaseId: runId,
      now: clock(),
      delivered: { runId, key: keyed.key },
    });
    outcome.delivered.push({
      quarantineId: record.quarantineId,
      key: keyed.key,
      ...(keyed.incident.dbotMirrorId ? { sourceId: keyed.incident.dbotMirrorId } : {}),
    });
  }
};
