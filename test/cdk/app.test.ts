import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir, writeConfig } from './helpers.js';

const root = join(import.meta.dirname, '../..');

/** Runs cdk/app.ts as the CDK CLI does (cdk.json's "app"), with the CLI's environment variables. */
const runApp = async (env: Record<string, string>) => {
  const outdir = tempDir('app-out');
  try {
    const { stdout, stderr } = await promisify(execFile)(
      join(root, 'node_modules/.bin/tsx'),
      ['cdk/app.ts'],
      {
        cwd: root,
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          // Template only: no bundling, no CloudFormation schema check (both have their own tests).
          CDK_CONTEXT_JSON: JSON.stringify({
            'aws:cdk:bundling-stacks': [],
            ...JSON.parse(env.CONTEXT ?? '{}'),
          }),
          CDK_VALIDATION: 'false',
          ...env,
        },
      },
    );
    return { code: 0, stdout, stderr, outdir };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr, outdir };
  }
};

const instance = {
  connector: 'helloworld',
  params: { url: 'https://alerts.example.com' },
  secrets: { apiKey: { ssm: '/ferry/secrets/demo/api-key' } },
};

describe('cdk/app.ts', () => {
  it('prefers -c config over FERRY_CONFIG, and -c stackName names the stack', async () => {
    const result = await runApp({
      FERRY_CONFIG: join(tempDir('missing'), 'nowhere.json'),
      CONTEXT: JSON.stringify({
        config: writeConfig({ instances: { chosen: instance } }),
        stackName: 'FerryTest',
      }),
    });

    expect(result.stderr).not.toContain('cannot synthesize');
    expect(result.code).toBe(0);
    expect(readFileSync(join(result.outdir, 'FerryTest.template.json'), 'utf8')).toContain(
      '/ferry/instances/chosen',
    );
  }, 120_000);

  it('reads the file FERRY_CONFIG names; a config error ends it with the message alone, naming the instance and the field', async () => {
    const result = await runApp({
      FERRY_CONFIG: writeConfig({ instances: { fast: { ...instance, fetchInterval: '5 seconds' } } }),
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ferry: cannot synthesize the stack.');
    expect(result.stderr).toMatch(/instance "fast": fetchInterval "5 seconds" is shorter than 1 minute/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(join(result.outdir, 'Ferry.template.json'))).toBe(false);
  }, 120_000);
});
