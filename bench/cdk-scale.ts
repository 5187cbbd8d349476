/**
 * `npx tsx bench/cdk-scale.ts [instances] [shards]`: synthesizes the stack for a generated config of many
 * instances (default 10,000 over 64 nested stacks, with cdk-nag, as `cdk synth` runs it) and prints what
 * CloudFormation and IAM will be handed: resources and bytes of every template, the characters of every
 * role's policies, and how long synthesis took. The figures go to docs/operations.md's capacity plan.
 * test/cdk/scale.test.ts asserts the same limits on a smaller config (synthesis of 10,000 takes about
 * half a minute and 900 MB on 2 cores, too much for `npm test`).
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createFerryApp } from '../cdk/create-ferry-app.js';
import { helloworld } from '../functions/helloworld/connector.js';

/** Connectors of the generated configs: helloworld's code under several names. */
export const scaleConnectors = ['helloworld', 'sentinel', 'crowd', 'graph'] as const;

/**
 * `count` instances over {@link scaleConnectors}, one minute apart, each with its API key in a
 * SecureString under its connector's folder (`/ferry/secrets/<connector>/<instance>/api-key`), pushing
 * to the stack's ingestion endpoint; every tenth fetches every 5 minutes, every fiftieth is paused.
 */
export const scaleConfig = (count: number, options: { firstId?: number } = {}) => {
  const instances: Record<string, unknown> = {};
  const first = options.firstId ?? 0;
  for (let i = first; i < first + count; i++) {
    const connector = scaleConnectors[i % scaleConnectors.length]!;
    const id = `tenant-${String(i).padStart(5, '0')}`;
    instances[id] = {
      connector,
      fetchInterval: i % 10 === 0 ? '5 minutes' : '1 minute',
      ...(i % 50 === 0 ? { enabled: false } : {}),
      params: { url: `https://alerts-${i}.example.com`, max_fetch: 200 },
      secrets: { apiKey: { ssm: `/ferry/secrets/${connector}/${id}/api-key` } },
    };
  }
  return { sink: { type: 'ferry', token: { ssm: '/ferry/ingest-token' } }, instances };
};

export const scaleConnectorModules = Object.fromEntries(
  scaleConnectors.map((name) => [name, { ...helloworld, name }]),
);

export interface TemplateFigures {
  readonly file: string;
  readonly resources: number;
  readonly bytes: number;
}

export interface AssemblyFigures {
  readonly main: TemplateFigures;
  readonly nested: readonly TemplateFigures[];
  /** Characters (no whitespace) of each role's inline policies together, by the role's logical id. */
  readonly rolePolicyChars: Readonly<Record<string, number>>;
}

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/**
 * IAM counts a policy's characters without whitespace, after CloudFormation resolved it: intrinsics are
 * rendered with the longest values they can take (a GovCloud partition, a long Region name).
 */
const renderedLength = (document: unknown): number =>
  JSON.stringify(document, (_key, value) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      if ('Ref' in value) {
        const pseudo: Record<string, string> = {
          'AWS::Partition': 'aws-us-gov',
          'AWS::Region': 'ap-southeast-2',
          'AWS::AccountId': '123456789012',
          'AWS::URLSuffix': 'amazonaws.com',
        };
        return (
          pseudo[value.Ref as string] ?? `arn:aws-us-gov:service:ap-southeast-2:123456789012:${value.Ref}`
        );
      }
      if ('Fn::GetAtt' in value)
        return `arn:aws-us-gov:service:ap-southeast-2:123456789012:${value['Fn::GetAtt'][0]}`;
      if ('Fn::Join' in value)
        return (
          (value['Fn::Join'][1] as unknown[])
            // A token inside a join stands for a short value once deployed; three characters are its estimate.
            .map((part) => (typeof part === 'string' ? part : 'TOK'))
            .join(value['Fn::Join'][0])
        );
    }
    return value;
  }).replace(/\s/g, '').length;

/** Reads a synthesized cloud assembly: every template's resources and size, every role's policy size. */
export const measureAssembly = (directory: string, stackName = 'Ferry'): AssemblyFigures => {
  const figures = (file: string): TemplateFigures & { template: Template } => {
    const path = join(directory, file);
    const template = JSON.parse(readFileSync(path, 'utf8')) as Template;
    return { file, resources: Object.keys(template.Resources).length, bytes: statSync(path).size, template };
  };
  const main = figures(`${stackName}.template.json`);
  const nested = readdirSync(directory)
    .filter((file) => file.endsWith('.nested.template.json'))
    .sort()
    .map(figures);
  const rolePolicyChars: Record<string, number> = {};
  for (const { template } of [main, ...nested]) {
    for (const resource of Object.values(template.Resources)) {
      if (resource.Type !== 'AWS::IAM::Policy') continue;
      const roles = (resource.Properties?.Roles as { Ref: string }[] | undefined) ?? [];
      for (const role of roles) {
        rolePolicyChars[role.Ref] =
          (rolePolicyChars[role.Ref] ?? 0) + renderedLength(resource.Properties?.PolicyDocument);
      }
    }
  }
  const strip = ({ template: _, ...rest }: TemplateFigures & { template: Template }): TemplateFigures => rest;
  return { main: strip(main), nested: nested.map(strip), rolePolicyChars };
};

const main = () => {
  const count = Number(process.argv[2] ?? 10_000);
  const shards = process.argv[3] ?? '64';
  const directory = mkdtempSync(join(tmpdir(), 'ferry-cdk-scale-'));
  const configPath = join(directory, 'ferry.config.json');
  writeFileSync(configPath, JSON.stringify(scaleConfig(count)));
  const started = performance.now();
  const { app } = createFerryApp({
    outdir: join(directory, 'cdk.out'),
    connectors: scaleConnectorModules,
    connectorEntry: () => 'functions/helloworld/handler.ts',
    builtinCloudFormationValidation: false,
    context: {
      config: configPath,
      instanceShards: shards,
      ssmThroughput: 'high',
      'aws:cdk:bundling-stacks': [],
    },
  });
  const built = performance.now();
  app.synth();
  const done = performance.now();
  const figures = measureAssembly(join(directory, 'cdk.out'));
  const resources = figures.nested.map((t) => t.resources);
  const bytes = figures.nested.map((t) => t.bytes);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
  console.log(
    JSON.stringify(
      {
        instances: count,
        shards: Number(shards),
        constructSeconds: +((built - started) / 1000).toFixed(1),
        synthSeconds: +((done - built) / 1000).toFixed(1),
        totalSeconds: +((done - started) / 1000).toFixed(1),
        main: figures.main,
        nestedStacks: figures.nested.length,
        resourcesPerShard: {
          min: Math.min(...resources),
          mean: +mean(resources).toFixed(1),
          max: Math.max(...resources),
        },
        bytesPerShard: { min: Math.min(...bytes), mean: Math.round(mean(bytes)), max: Math.max(...bytes) },
        rolePolicyChars: figures.rolePolicyChars,
        rssMb: Math.round(process.memoryUsage().rss / 1e6),
      },
      null,
      2,
    ),
  );
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
