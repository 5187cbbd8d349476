import type { InstanceSource } from '../config/instance-source.js';
import type { SecretResolver } from '../config/secrets.js';
import type { Connector } from '../connector.js';
import type { Logger } from '../logger.js';
import type { RunOutcome } from '../runner/run-record.js';
import type { SinkDefaults } from '../sinks/create-sink.js';
import type { QuarantineStore } from '../state/quarantine-store.js';
import type { ReplayStore } from '../state/replay-store.js';
import type { StateStore } from '../state/state-store.js';

/** What a connector's function is built from: the Lambda entry and `ferry start` pass their own wiring. */
export interface FetchHandlerDeps {
  readonly connector: Connector;
  readonly instances: InstanceSource;
  readonly store: StateStore;
  readonly secrets: SecretResolver;
  readonly logger: Logger;
  readonly sinkDefaults?: SinkDefaults;
  readonly clock?: () => number;
  readonly onOutcome?: (outcome: RunOutcome) => void;
  /** Where replays keep their progress; without it the function refuses `replay`. */
  readonly replays?: ReplayStore;
  /**
   * Makes each run's id, which is also its lease id. Locally it names the process, so that a restart can
   * release the leases of its crashed predecessor at once (local/lease-holder.ts). @default a UUID
   */
  readonly runId?: () => string;
  /** Where events that cannot become incidents are set aside; without it they fail the fetch. */
  readonly quarantine?: QuarantineStore;
}
