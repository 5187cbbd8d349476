import { resolveParams } from '../config/resolve-settings.js';
import type { InstanceDocument } from '../config/schema.js';
import type { Connector } from '../connector.js';
import { failureOf } from '../errors.js';
import { createIntegrationContext } from '../integration-context.js';
import type { Logger } from '../logger.js';
import { redact } from '../redact.js';
import { createFetchContext } from '../runner/fetch-context.js';
import { checkSinkTransport } from '../sinks/require-tls.js';
import type { StateStore } from '../state/state-store.js';
import { checkFetchLimit } from './fetch-limit-rule.js';

/** The answer to XSOAR's Test button. */
export interface TestOutcome {
  /** Tags the handler's answer (see `FetchHandlerResult`). */
  readonly kind: 'test';
  readonly instanceId: string;
  readonly ok: boolean;
  readonly error?: { code: string; message: string };
  /** What passed but deserves a word (a max_fetch above XSOAR's recommendation with another sink). */
  readonly notes?: readonly string[];
}

export interface ConnectorTestInput {
  readonly document: InstanceDocument;
  readonly connector: Connector;
  readonly resolveSecrets: () => Promise<Record<string, string>>;
  readonly store: StateStore;
  readonly logger: Logger;
  /** @default 30_000 */
  readonly timeoutMs?: number;
}

/**
 * Validates the parameters, the sink's URL (and XSOAR's Fetch Limit rule for the instance's sink), then
 * calls the connector's `test` (XSOAR's `test-module`).
 */
export const runConnectorTest = async (input: ConnectorTestInput): Promise<TestOutcome> => {
  const { document, connector } = input;
  try {
    const now = new Date();
    const { settings, params } = resolveParams(document, connector, now);
    // The Test button answers for the whole path: where the incidents would go, too.
    checkSinkTransport(document.sink);
    const notes = checkFetchLimit(document, settings);
    const secrets = await input.resolveSecrets();
    const state = await input.store.read(document.id);
    const { ctx } = createFetchContext({
      instanceId: document.id,
      params,
      secrets,
      settings,
      lastRun: state?.lastRun ?? {},
      now,
      logger: input.logger.child({ instanceId: document.id, connector: connector.name, operation: 'test' }),
      context: createIntegrationContext(input.store, document.id),
      signal: AbortSignal.timeout(input.timeoutMs ?? 30_000),
      // A test answers quickly: one retry, not the fetch's patience.
      http: { retries: 1 },
    });
    await connector.test(ctx);
    return { kind: 'test', instanceId: document.id, ok: true, ...(notes.length > 0 ? { notes } : {}) };
  } catch (error) {
    return redact({ kind: 'test', instanceId: document.id, ok: false, error: failureOf(error) });
  }
};
