import { ErrorCodes, FerryError } from '../errors.js';
import type { QuarantineStore } from '../state/quarantine-store.js';
import type { QuarantineCandidate } from './partition-incidents.js';

export interface SetAsideRequest {
  readonly instanceId: string;
  readonly connector: string;
  readonly runId: string;
  readonly now: number;
  /** `debug` records nothing: the candidates are only shown. */
  readonly mode?: 'live' | 'debug';
}

/**
 * Records a page's invalid events in the quarantine before the cursor moves past them (a failed write
 * fails the fetch: the cursor stays and nothing is lost). A runner built without a quarantine cannot
 * set an event aside, so it fails the fetch as before, with the reason.
 */
export const setAside = async (
  quarantine: QuarantineStore | undefined,
  request: SetAsideRequest,
  candidates: readonly QuarantineCandidate[],
): Promise<void> => {
  if (candidates.length === 0 || request.mode === 'debug') return;
  if (!quarantine) {
    throw new FerryError(
      ErrorCodes.INCIDENT_INVALID,
      // The validator's own wording, as before the quarantine existed.
      `${candidates[0]!.reason.message} Fix the connector's mapping; the fetch was not committed, so nothing is lost.`,
    );
  }
  await quarantine.hold(request.instanceId, request, candidates);
};

/** The history's note on a run that set events aside: how many, and the command that shows them. */
export const quarantineNotice = (instanceId: string, count: number): string =>
  `${count} event${count === 1 ? '' : 's'} could not become ${count === 1 ? 'an incident' : 'incidents'} and ${count === 1 ? 'was' : 'were'} quarantined; the rest were delivered. ` +
  `See them with: ferry quarantine ${instanceId}`;
