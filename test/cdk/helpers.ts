import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';
import { type CreateFerryAppOptions, createFerryApp, type FerryApp } from '../../cdk/create-ferry-app.js';
import { helloworld } from '../../functions/helloworld/connector.js';
import { ConfigError } from '../../shared/errors.js';

/** A temporary directory that lives as long as the test process. */
export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `ferry-${prefix}-`));

/** Writes a config file to a temporary directory and returns its path. */
export const writeConfig = (config: unknown): string => {
  const path = join(tempDir('config'), 'ferry.config.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
};

/** A second connector for tests of per-connector isolation: helloworld's code under another name. */
export const otherConnector = { ...helloworld, name: 'other' };
export const testConnectors = { [helloworld.name]: helloworld, [otherConnector.name]: otherConnector };

export interface SynthOptions extends CreateFerryAppOptions {
  readonly config: unknown;
  /** Run esbuild (slow). @default false: the template tests only need the template */
  readonly bundle?: boolean;
}

/** Builds the app from a config object as `cdk synth` would, and synthesizes it. */
export const synthFerry = (options: SynthOptions): FerryApp & { template: Template } => {
  const { config, bundle, context, ...rest } = options;
  const ferry = createFerryApp({
    outdir: tempDir('cdk-out'),
    builtinCloudFormationValidation: false,
    connectors: testConnectors,
    connectorEntry: () => 'functions/helloworld/handler.ts',
    ...rest,
    context: {
      config: writeConfig(config),
      ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  return { ...ferry, template: Template.fromStack(ferry.stack) };
};

type Json = unknown;
type Resources = Record<string, { Type: string; Properties?: Record<string, Json> }>;

/**
 * Renders CloudFormation intrinsics into readable strings, so a test can compare ARNs as text:
 * pseudo parameters become a fixed partition/Region/account, `Ref` of an SSM parameter its name,
 * any other `Ref` `ref:<logicalId>`, and `Fn::GetAtt` `<logicalId>.<attribute>`.
 */
export const renderIntrinsics = (template: Template, value: Json): Json => {
  const resources = template.toJSON().Resources as Resources;
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': 'us-east-1',
    'AWS::AccountId': '123456789012',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const render = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(render);
    if (node === null || typeof node !== 'object') return node;
    const object = node as Record<string, Json>;
    if ('Ref' in object && typeof object.Ref === 'string') {
      const resource = resources[object.Ref];
      if (pseudo[object.Ref]) return pseudo[object.Ref];
      if (resource?.Type === 'AWS::SSM::Parameter') return resource.Properties?.Name;
      return `ref:${object.Ref}`;
    }
    if ('Fn::GetAtt' in object) return (object['Fn::GetAtt'] as string[]).join('.');
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, Json[]];
      return parts.map((part) => String(render(part))).join(separator);
    }
    return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, render(inner)]));
  };
  return render(value);
};

/** One IAM statement, rendered: actions and resources as sorted string lists. */
export interface RenderedStatement {
  readonly actions: string[];
  readonly resources: string[];
  readonly conditions?: Json;
}

const list = (value: Json): string[] => (Array.isArray(value) ? value : [value]).map(String).sort();

/** The statements of every inline policy attached to a role, by Sid (`(no sid)` for none). */
export const roleStatements = (
  template: Template,
  roleLogicalId: string,
): Record<string, RenderedStatement> => {
  const policies = template.findResources('AWS::IAM::Policy');
  const statements: Record<string, RenderedStatement> = {};
  for (const policy of Object.values(policies)) {
    const roles = (policy.Properties.Roles as { Ref: string }[]).map((role) => role.Ref);
    if (!roles.includes(roleLogicalId)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as Record<string, Json>[]) {
      expect(statement.Effect).toBe('Allow');
      const rendered = renderIntrinsics(template, statement) as Record<string, Json>;
      statements[String(statement.Sid ?? '(no sid)')] = {
        actions: list(rendered.Action),
        resources: list(rendered.Resource),
        ...(rendered.Condition ? { conditions: rendered.Condition } : {}),
      };
    }
  }
  return statements;
};

/** The logical id of the one resource of `type` whose properties match `predicate`. */
export const logicalIdOf = (
  template: Template,
  type: string,
  predicate: (properties: Record<string, Json>) => boolean,
): string => {
  const matches = Object.entries(template.findResources(type)).filter(([, resource]) =>
    predicate(resource.Properties ?? {}),
  );
  expect(matches, `one ${type} matching`).toHaveLength(1);
  return matches[0]![0];
};

/** The logical id of a Ferry function by its description's beginning. */
export const functionIdOf = (template: Template, description: string): string =>
  logicalIdOf(template, 'AWS::Lambda::Function', (properties) =>
    String(properties.Description).startsWith(description),
  );

/** The logical id of the role a function runs as. */
export const roleIdOf = (template: Template, functionId: string): string => {
  const fn = template.toJSON().Resources[functionId];
  return fn.Properties.Role['Fn::GetAtt'][0];
};

/** The ConfigError `act` throws (fails the test when it throws something else, or nothing). */
export const configError = (act: () => unknown): ConfigError => {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};
