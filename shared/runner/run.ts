import { randomUUID } from 'node:crypto';
import type { InstanceDocument } from '../config/schema.js';
import type { Connector } from '../connector.js';
import type { Logger } from '../logger.js';
import type { Sink } from '../sinks/sink.js';
import type { QuarantineStore } from '../state/quarantine-store.js';
import type { StateStore } from '../state/state-store.js';
import type { RunIdentity, RunOutcome } from './run-record.js';

/** What one fetch invocation is asked to do. */
export interface RunInput {
  readonly document: InstanceDocument;
  readonly connector: Connector;
  /** Resolves the instance's secrets; failures are recorded like any other. */
  readonly secrets: () => Promise<Record<string, string>>;
  /** Epoch ms by which the invocation must be done (the Lambda's remaining time). */
  readonly deadline: number;
  readonly runId?: string;
  /** `debug`: one fetch, printed, nothing pushed, nothing committed (XSOAR's `debug-mode=true`). */
  readonly mode?: 'live' | 'debug';
}

/** What a fetch runs against. */
export interface RunnerDeps {
  readonly store: StateStore;
  readonly sink: Sink;
  readonly logger: Logger;
  /** @default Date.now */
  readonly clock?: () => number;
  /** Called with every outcome (metrics). */
  readonly onOutcome?: (outcome: RunOutcome) => void;
  /** Where events that cannot become incidents are set aside; without it they fail the fetch. */
  readonly quarantine?: QuarantineStore;
}

/** One invocation for one instance: its identity, its tools, and whether it is a debug run. */
export interface Run extends RunIdentity {
  readonly input: RunInput;
  readonly deps: RunnerDeps;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly debug: boolean;
}

/** Fixes the run's identity (id, start time) and its logger's context. */
export const beginRun = (input: RunInput, deps: RunnerDeps): Run => {
  const clock = deps.clock ?? Date.now;
  const runId = input.runId ?? randomUUID();
  const { document, connector } = input;
  return {
    instanceId: document.id,
    connector: connector.name,
    runId,
    startedAt: clock(),
    input,
    deps,
    clock,
    logger: deps.logger.child({ instanceId: document.id, connector: connector.name, runId }),
    debug: input.mode === 'debug',
  };
};
