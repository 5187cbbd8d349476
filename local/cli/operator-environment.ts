import type { InstanceDocument } from '../../shared/config/schema.js';
import type { ConfigError } from '../../shared/errors.js';
import type { QuarantineStore } from '../../shared/state/quarantine-store.js';
import type { ReplayStore } from '../../shared/state/replay-store.js';
import type { StateStore } from '../../shared/state/state-store.js';
import type { LocalInvoker } from '../local-invoker.js';

/** Every instance's document, and the instances whose document cannot be used (each error says why). */
export interface InstanceListing {
  readonly documents: InstanceDocument[];
  readonly errors: ConfigError[];
}

/**
 * What the operator commands (`status`, `history`, `last-run`, `test`, `fetch --debug`, `replay`) and
 * the dashboard need, wherever the instances run: on this machine (`running`, `embedded`) or in the
 * deployed stack (`aws`). Each mode talks to its DynamoDB table and invokes its connector functions.
 */
export interface OperatorEnvironment {
  readonly mode: 'running' | 'embedded' | 'aws';
  readonly store: StateStore;
  readonly replays: ReplayStore;
  /** Events set aside because they could not become incidents (`ferry quarantine`). */
  readonly quarantine: QuarantineStore;
  /** Invokes an instance's connector function (locally, or the deployed Lambda with `--aws`). */
  readonly invoke: LocalInvoker;
  listInstances(): Promise<InstanceListing>;
  /** The instance's connector name, also for an instance whose document is invalid (`unknown` if none). */
  connectorOf(instanceId: string): Promise<string>;
  close(): Promise<void>;
}

/** Instance listing from a config file's parse (local modes). */
export const listingFromConfig = (config: {
  instances: InstanceDocument[];
  errors: ConfigError[];
}): InstanceListing => ({ documents: config.instances, errors: config.errors });

/** The connector an entry of the config file names, read leniently (the entry may be invalid). */
export const connectorOfEntry = (entry: unknown): string => {
  const connector = (entry as { connector?: unknown } | undefined)?.connector;
  return typeof connector === 'string' ? connector : 'unknown';
};
