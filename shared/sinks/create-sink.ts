import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { InstanceDocument } from '../config/schema.js';
import type { SecretResolver } from '../config/secrets.js';
import { ConfigError } from '../errors.js';
import type { DeliveryLedger } from '../state/delivery-ledger.js';
import { createEventBridgeSink } from './eventbridge-sink.js';
import { createFerrySink } from './ferry-sink.js';
import type { Sink } from './sink.js';
import { sinkSecretRefs } from './sink-secrets.js';
import { createXsoarSink } from './xsoar-sink.js';

/** What the sinks need from the invocation's wiring; clients are created once per cold start. */
export interface SinkDefaults {
  /** The ingestion endpoint when the config names none (the deployed API, or the local one). */
  readonly ferryUrl?: string;
  /**
   * The delivery ledger in the state table. Required by the `xsoar` sink (XSOAR has no idempotency
   * key) and by the `eventbridge` sink with `"ledger": true`.
   */
  readonly ledger?: DeliveryLedger;
  /** Required by the `eventbridge` sink. */
  readonly eventBridge?: EventBridgeClient;
}

/** A sink type the deployed function was bundled without: its instances' sinks changed after deploy. */
const notBundled = (document: InstanceDocument) =>
  new ConfigError(
    `Instance "${document.id}": this function was deployed without the "${document.sink.type}" sink, because none of its instances used it then. Run "npx cdk deploy" after changing an instance's sink (its permissions change too).`,
    document.id,
    'sink.type',
  );

const days = (value: number | undefined) => (value === undefined ? undefined : value * 86_400);

const requireLedger = (document: InstanceDocument, defaults: SinkDefaults, why: string): DeliveryLedger => {
  if (defaults.ledger) return defaults.ledger;
  throw new ConfigError(
    `Instance "${document.id}": ${why}, but this runtime was started without one (pass "ledger" in the sink defaults: ` +
      'new DynamoDeliveryLedger({ client, tableName: <state table> })).',
    document.id,
    'sink',
  );
};

/** Builds the sink an instance pushes to: its own override, else the deployment's. */
export const createSinkFor = async (
  document: InstanceDocument,
  resolveSecrets: SecretResolver,
  defaults: SinkDefaults = {},
): Promise<Sink> => {
  const config = document.sink;
  const refs = sinkSecretRefs(config);
  const secrets = Object.keys(refs).length > 0 ? await resolveSecrets(document.id, refs, 'sink') : {};
  switch (config.type) {
    case 'ferry': {
      const url = config.url ?? defaults.ferryUrl;
      if (!url) {
        throw new ConfigError(
          `Instance "${document.id}": the "ferry" sink has no URL. Set "sink.url" in ferry.config.json, or FERRY_INGEST_URL.`,
          document.id,
          'sink.url',
        );
      }
      return createFerrySink({
        url,
        token: secrets.token,
        batchSize: config.batchSize,
        concurrency: config.concurrency,
        maxIncidentBytes: config.maxIncidentBytes,
        allowInsecure: config.allowInsecure,
      });
    }
    case 'xsoar':
      // Positive tests, so that esbuild, given a flag false, drops the branch and the sink's code with it.
      if (typeof FERRY_BUNDLE_XSOAR_SINK === 'undefined' || FERRY_BUNDLE_XSOAR_SINK) {
        return createXsoarSink({
          url: config.url,
          mode: config.mode,
          version: config.version,
          apiKey: secrets.apiKey,
          apiKeyId: secrets.apiKeyId,
          apiKeyType: config.apiKeyType,
          apiUrl: config.apiUrl,
          webhookInstance: config.webhookInstance,
          batchSize: config.batchSize,
          sourceBrand: config.sourceBrand,
          username: secrets['credentials.username'],
          password: secrets['credentials.password'],
          createInvestigation: config.createInvestigation,
          playbookId: config.playbookId,
          incidentType: config.incidentType,
          concurrency: config.concurrency,
          maxIncidentBytes: config.maxIncidentBytes,
          allowInsecure: config.allowInsecure,
          ledger: requireLedger(document, defaults, 'the "xsoar" sink needs the delivery ledger'),
          ledgerTtlSeconds: days(config.ledgerDays),
          http: config.timeoutSeconds === undefined ? undefined : { timeoutMs: config.timeoutSeconds * 1000 },
        });
      }
      throw notBundled(document);
    case 'eventbridge': {
      if (typeof FERRY_BUNDLE_EVENTBRIDGE_SINK === 'undefined' || FERRY_BUNDLE_EVENTBRIDGE_SINK) {
        if (!defaults.eventBridge) {
          throw new ConfigError(
            `Instance "${document.id}": the "eventbridge" sink needs an EventBridge client, but this runtime was started without one.`,
            document.id,
            'sink',
          );
        }
        return createEventBridgeSink({
          client: defaults.eventBridge,
          eventBusName: config.eventBusName,
          maxEntryBytes: config.maxEntryBytes,
          resources: config.resources,
          concurrency: config.concurrency,
          ledger: config.ledger
            ? requireLedger(document, defaults, 'the "eventbridge" sink has "ledger": true')
            : undefined,
          ledgerTtlSeconds: days(config.ledgerDays),
        });
      }
      throw notBundled(document);
    }
  }
};
