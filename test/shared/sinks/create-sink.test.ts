import { readFileSync } from 'node:fs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import {
  type InstanceDocument,
  instanceDocumentSchema,
  instanceSchema,
  sinkSchema,
} from '../../../shared/config/schema.js';
import type { SecretResolver } from '../../../shared/config/secrets.js';
import { ConfigError } from '../../../shared/errors.js';
import { createSinkFor } from '../../../shared/sinks/create-sink.js';
import { sinkSecretRefs } from '../../../shared/sinks/sink-secrets.js';
import type { DeliveryLedger } from '../../../shared/state/delivery-ledger.js';

const ledger: DeliveryLedger = { lookup: async () => new Map(), record: async () => {} };
const eventBridge = new EventBridgeClient({ region: 'us-east-1' });

/** Resolves every reference to `value-of-<name>` and remembers what was asked. */
const resolver = () => {
  const asked: Record<string, unknown>[] = [];
  const resolve: SecretResolver = async (_instance, refs) => {
    asked.push(refs);
    return Object.fromEntries(
      Object.entries(refs).map(([key, ref]) => [key, `value-of-${'env' in ref ? ref.env : ref.ssm}`]),
    );
  };
  return { asked, resolve };
};

const documentWith = (sink: unknown): InstanceDocument =>
  instanceDocumentSchema.parse({ id: 'soc-demo', connector: 'helloworld', sink });

const issuesOf = (sink: unknown) => {
  const parsed = sinkSchema.safeParse(sink);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
};

describe('the sink configuration', () => {
  it('takes an XSOAR 6, an XSOAR 8, a webhook and an EventBridge sink', () => {
    for (const sink of [
      { type: 'xsoar', url: 'https://xsoar.example.com', apiKey: { ssm: '/ferry/xsoar/key' } },
      {
        type: 'xsoar',
        version: 8,
        url: 'https://api-acme.xdr.us.paloaltonetworks.com',
        apiKey: { ssm: '/k' },
        apiKeyId: { ssm: '/id' },
      },
      {
        type: 'xsoar',
        mode: 'webhook',
        url: 'https://xsoar.example.com',
        webhookInstance: 'ferry-webhook',
        credentials: { username: { env: 'U' }, password: { env: 'P' } },
      },
      { type: 'eventbridge', eventBusName: 'soc', maxEntryBytes: 1_048_576, ledger: true },
    ]) {
      expect(issuesOf(sink)).toEqual([]);
    }
  });

  it('names what is missing or misplaced', () => {
    expect(issuesOf({ type: 'xsoar', url: 'https://x.example.com' })).toEqual([
      'apiKey is required: a secret reference to the API key',
    ]);
    expect(
      issuesOf({ type: 'xsoar', version: 8, url: 'https://x.example.com', apiKey: { env: 'K' } }),
    ).toEqual([expect.stringMatching(/^apiKeyId is required for XSOAR 8/)]);
    // A named webhook instance makes webhook mode the default: the mode that runs classifiers and mappers.
    expect(
      issuesOf({ type: 'xsoar', url: 'https://x.example.com', apiKey: { env: 'K' }, webhookInstance: 'w' }),
    ).toEqual([]);
    expect(
      issuesOf({
        type: 'xsoar',
        mode: 'api',
        url: 'https://x.example.com',
        apiKey: { env: 'K' },
        webhookInstance: 'w',
      }),
    ).toEqual(['webhookInstance is for the Generic Webhook: add "mode": "webhook", or remove it']);
    expect(
      issuesOf({ type: 'xsoar', mode: 'webhook', url: 'https://x.example.com', playbookId: 'p' }),
    ).toEqual([
      'playbookId is for the REST API: remove it, or remove "mode": "webhook"',
      "webhookInstance is required in webhook mode: the Generic Webhook instance's name",
    ]);
    expect(
      issuesOf({ type: 'xsoar', url: 'https://x.example.com', apiKey: { env: 'K' }, apiKeyType: 'advanced' }),
    ).toEqual([expect.stringMatching(/^apiKeyType is for XSOAR 8/)]);
    expect(
      issuesOf({
        type: 'xsoar',
        version: 8,
        url: 'https://ext-x.example.com/xsoar',
        webhookInstance: 'w',
        apiKey: { env: 'K' },
        apiKeyId: { env: 'I' },
      }),
    ).toEqual([expect.stringMatching(/^apiUrl is required for a webhook on XSOAR 8/)]);
    expect(issuesOf({ type: 'xsoar', url: 'https://x.example.com', apiKey: 'plain-text-key' })).toHaveLength(
      1,
    );
    expect(issuesOf({ type: 'eventbridge', maxEntryBytes: 2_000_000 })).toEqual([
      expect.stringMatching(/^maxEntryBytes must be at most 1048576/),
    ]);
    expect(issuesOf({ type: 'ferry', maxIncidentBytes: 100 })).toEqual([
      expect.stringMatching(/^maxIncidentBytes must be at least 8192/),
    ]);
  });

  it('takes every complete example in docs/sinks.md', () => {
    const docs = readFileSync(new URL('../../../docs/sinks.md', import.meta.url), 'utf8');
    const examples = [...docs.matchAll(/```json\n([\s\S]*?)```/g)]
      .map((match) => JSON.parse(match[1] ?? '') as { sink?: unknown; instances?: Record<string, unknown> })
      .filter((example) => example.sink !== undefined);
    expect(examples).toHaveLength(5);
    for (const example of examples) {
      expect(issuesOf(example.sink)).toEqual([]);
      for (const instance of Object.values(example.instances ?? {})) {
        expect(instanceSchema.safeParse(instance).success).toBe(true);
      }
    }
  });

  it('lists every secret reference a sink has', () => {
    expect(
      sinkSecretRefs(
        sinkSchema.parse({
          type: 'xsoar',
          mode: 'webhook',
          url: 'https://x.example.com',
          webhookInstance: 'w',
          credentials: { username: { env: 'U' }, password: { ssm: '/p' } },
        }),
      ),
    ).toEqual({ 'credentials.username': { env: 'U' }, 'credentials.password': { ssm: '/p' } });
    expect(sinkSecretRefs(sinkSchema.parse({ type: 'eventbridge' }))).toEqual({});
  });
});

describe('createSinkFor', () => {
  it('builds the xsoar sink with its secrets resolved through the resolver', async () => {
    const { asked, resolve } = resolver();
    const sink = await createSinkFor(
      documentWith({
        type: 'xsoar',
        version: 8,
        url: 'https://api-acme.xdr.us.paloaltonetworks.com',
        apiKey: { ssm: '/ferry/xsoar/key' },
        apiKeyId: { env: 'XSOAR_KEY_ID' },
      }),
      resolve,
      { ledger },
    );
    expect(sink.type).toBe('xsoar');
    expect(asked).toEqual([{ apiKey: { ssm: '/ferry/xsoar/key' }, apiKeyId: { env: 'XSOAR_KEY_ID' } }]);
  });

  it('refuses an xsoar sink without the delivery ledger: duplicates would follow a crash', async () => {
    const { resolve } = resolver();
    const document = documentWith({ type: 'xsoar', url: 'https://x.example.com', apiKey: { env: 'K' } });
    await expect(createSinkFor(document, resolve)).rejects.toThrow(ConfigError);
    await expect(createSinkFor(document, resolve)).rejects.toThrow(/delivery ledger/);
  });

  it('builds the eventbridge sink on the client it is given, and needs one', async () => {
    const { resolve } = resolver();
    const document = documentWith({ type: 'eventbridge', eventBusName: 'soc' });
    expect((await createSinkFor(document, resolve, { eventBridge })).type).toBe('eventbridge');
    await expect(createSinkFor(document, resolve)).rejects.toThrow(/EventBridge client/);
    await expect(
      createSinkFor(documentWith({ type: 'eventbridge', ledger: true }), resolve, { eventBridge }),
    ).rejects.toThrow(/"ledger": true/);
  });

  it('still builds the ferry sink as before', async () => {
    const { asked, resolve } = resolver();
    const sink = await createSinkFor(documentWith({ type: 'ferry', token: { env: 'TOKEN' } }), resolve, {
      ferryUrl: 'http://127.0.0.1:8787',
    });
    expect(sink.type).toBe('ferry');
    expect(asked).toEqual([{ token: { env: 'TOKEN' } }]);
  });

  it('refuses plain http:// to a remote XSOAR unless allowed', async () => {
    const { resolve } = resolver();
    const sink = { type: 'xsoar', url: 'http://xsoar.internal', apiKey: { env: 'K' } };
    await expect(createSinkFor(documentWith(sink), resolve, { ledger })).rejects.toThrow(/allowInsecure/);
    expect(
      (await createSinkFor(documentWith({ ...sink, allowInsecure: true }), resolve, { ledger })).type,
    ).toBe('xsoar');
  });
});
