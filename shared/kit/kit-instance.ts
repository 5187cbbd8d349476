import { randomUUID } from 'node:crypto';
import { type InstanceDocument, instanceDocumentSchema } from '../config/schema.js';
import type { Connector } from '../connector.js';
import { runConnectorTest, type TestOutcome } from '../handler/run-connector-test.js';
import { createLogger } from '../logger.js';
import { type RunOutcome, runFetch } from '../runner/run-fetch.js';
import type { StateStore } from '../state/state-store.js';
import type { ConformanceSource } from './conformance-target.js';
import { type CountingSink, createCountingSink } from './counting-sink.js';

const silent = createLogger({ level: 'SILENT' });

/** Parameters with `undefined` values removed: how a check takes a key away. */
const defined = (params: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined));

/** The instance document of a check: the source's parameters and secret names, plus the check's own. */
export const kitDocument = (
  connector: Connector,
  source: ConformanceSource,
  params: Record<string, unknown> = {},
): InstanceDocument =>
  instanceDocumentSchema.parse({
    id: `kit-${connector.name.slice(0, 40)}-${randomUUID().slice(0, 8)}`,
    connector: connector.name,
    params: defined({ ...source.params, ...params }),
    // References only: the kit hands the values over itself, as a resolver would.
    secrets: Object.fromEntries(
      Object.keys(source.secrets).map((name) => [name, { env: 'FERRY_KIT_UNUSED' }]),
    ),
    sink: { type: 'ferry' },
  });

/** One connector instance driven the way the scheduler and the Test button drive it. */
export interface KitInstance {
  readonly document: InstanceDocument;
  readonly sink: CountingSink;
  readonly store: StateStore;
  /**
   * One scheduled invocation through the real runner: fetch, push, commit, drain while `hasMore`; or,
   * in `debug` mode, one fetch whose incidents are returned, nothing pushed or committed.
   */
  fetch(mode?: 'live' | 'debug'): Promise<RunOutcome>;
  /** One invocation with other secret values (a wrong credential). */
  fetchWith(secrets: Readonly<Record<string, string>>): Promise<RunOutcome>;
  /** The Test button. */
  test(secrets?: Readonly<Record<string, string>>): Promise<TestOutcome>;
}

/** An instance of `connector` over `source`, with a counting sink and the given state store. */
export const kitInstance = (
  connector: Connector,
  source: ConformanceSource,
  store: StateStore,
  params: Record<string, unknown> = {},
): KitInstance => {
  const document = kitDocument(connector, source, params);
  const sink = createCountingSink();
  const fetchWith = (secrets: Readonly<Record<string, string>>, mode: 'live' | 'debug' = 'live') =>
    runFetch(
      { document, connector, secrets: async () => ({ ...secrets }), deadline: Date.now() + 25_000, mode },
      { store, sink, logger: silent },
    );
  return {
    document,
    sink,
    store,
    fetch: (mode) => fetchWith(source.secrets, mode),
    fetchWith: (secrets) => fetchWith(secrets),
    test: (secrets = source.secrets) =>
      runConnectorTest({
        document,
        connector,
        resolveSecrets: async () => ({ ...secrets }),
        store,
        logger: silent,
      }),
  };
};
