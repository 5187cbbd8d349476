import { beforeAll, describe, expect, it } from 'vitest';
import { instanceTokensVariable } from '../../functions/ingest/ssm-instance-tokens.js';
import { functionIdOf, roleIdOf, roleStatements, synthFerry } from './helpers.js';

// Per-instance ingestion tokens through `cdk synth`: the names reach the ingest function, the values
// never reach the template, and its role reads exactly those parameters.
const cmkArn = 'arn:aws:kms:us-east-1:123456789012:key/1111aaaa-2222-3333-4444-555566667777';
const ssm = (name: string) => `arn:aws:ssm:us-east-1:123456789012:parameter${name}`;
const instance = (sink?: unknown) => ({
  connector: 'helloworld',
  fetchInterval: '5 minutes',
  params: { url: 'https://alerts.example.com' },
  secrets: { apiKey: { ssm: '/ferry/secrets/api-key' } },
  ...(sink ? { sink } : {}),
});
const scopedConfig = {
  sink: { type: 'ferry', token: { ssm: '/ferry/ingest-token' } },
  instances: {
    soc: instance({ type: 'ferry', token: { ssm: '/ferry/ingest-tokens/soc' } }),
    edr: instance({ type: 'ferry', token: { ssm: '/ferry/ingest-tokens/edr:2' } }),
    shared: instance(),
  },
};

type Synth = ReturnType<typeof synthFerry>;
let scoped: Synth;
let plain: Synth;

beforeAll(() => {
  scoped = synthFerry({ config: scopedConfig, context: { secureStringKeyArn: cmkArn } });
  plain = synthFerry({ config: { ...scopedConfig, instances: { shared: instance() } } });
});

const ingestOf = (synth: Synth) => {
  const id = functionIdOf(synth.template, 'Ferry ingestion endpoint');
  const fn = synth.template.toJSON().Resources[id];
  return {
    variables: fn.Properties.Environment.Variables as Record<string, unknown>,
    statements: roleStatements(synth.template, roleIdOf(synth.template, id)),
  };
};

describe('per-instance ingestion tokens in the stack', () => {
  it("names each instance's token parameter to the ingest function, sorted, values nowhere", () => {
    const { variables } = ingestOf(scoped);

    expect(JSON.parse(String(variables[instanceTokensVariable]))).toEqual({
      edr: '/ferry/ingest-tokens/edr',
      soc: '/ferry/ingest-tokens/soc',
    });
    expect(Object.keys(JSON.parse(String(variables[instanceTokensVariable])))).toEqual(['edr', 'soc']);
    expect(variables.INGEST_TOKEN_PARAMETER).toBe('/ferry/ingest-token');
  });

  it('lets the ingest function read and decrypt exactly those parameters, besides its own token', () => {
    const { statements } = ingestOf(scoped);

    expect(statements.ReadInstanceIngestTokens).toEqual({
      actions: ['ssm:GetParameters'],
      resources: [ssm('/ferry/ingest-tokens/edr'), ssm('/ferry/ingest-tokens/soc')],
    });
    expect(statements.DecryptInstanceIngestTokens).toEqual({
      actions: ['kms:Decrypt'],
      resources: [cmkArn],
      conditions: {
        StringEquals: {
          'kms:ViaService': 'ssm.us-east-1.amazonaws.com',
          'kms:EncryptionContext:PARAMETER_ARN': [
            ssm('/ferry/ingest-tokens/edr'),
            ssm('/ferry/ingest-tokens/soc'),
          ],
        },
      },
    });
    expect(statements.ReadIngestToken?.resources).toEqual([ssm('/ferry/ingest-token')]);
  });

  it("deploys each instance's document with its own token, the others with the shared one", () => {
    const documents = Object.values(scoped.template.findResources('AWS::SSM::Parameter')).map((parameter) =>
      JSON.parse(parameter.Properties.Value as string),
    );
    const sinkOf = (id: string) => documents.find((document) => document.id === id)?.sink;

    expect(sinkOf('soc')).toEqual({ type: 'ferry', token: { ssm: '/ferry/ingest-tokens/soc' } });
    expect(sinkOf('edr')).toEqual({ type: 'ferry', token: { ssm: '/ferry/ingest-tokens/edr:2' } });
    expect(sinkOf('shared')).toEqual({ type: 'ferry', token: { ssm: '/ferry/ingest-token' } });
  });

  it('adds neither the variable nor the grants when no instance has its own token', () => {
    const { variables, statements } = ingestOf(plain);

    expect(variables[instanceTokensVariable]).toBeUndefined();
    expect(statements.ReadInstanceIngestTokens).toBeUndefined();
    expect(statements.DecryptInstanceIngestTokens).toBeUndefined();
  });
});
