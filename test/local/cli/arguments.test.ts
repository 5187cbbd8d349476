import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

/** `ferry <args>` as a user runs it. None of these reaches DynamoDB: the command line is refused first. */
const ferry = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/ferry.js'), ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });

const USAGE = /\n\nUsage: ferry <command> \[options\]\n[\s\S]*Exit codes: 0 done, 1 failed/;

describe('the ferry command line: a wrong one is named, with the usage, exit 2', { timeout: 60_000 }, () => {
  it.each([
    [['--limit', 'abc', 'history', 'demo'], '--limit must be a whole number from 1 to 1000 (got "abc").'],
    [['history', 'demo', '--limit', '0'], '--limit must be a whole number from 1 to 1000 (got "0").'],
    [['status', '--frobnicate'], 'Unknown option "--frobnicate".'],
    [['history', 'demo', '--debug'], '"ferry history" takes no option --debug.'],
    [['history'], '"ferry history" needs an instance id: ferry history <instance>'],
    [['history', 'demo', 'extra'], '"ferry history" takes no argument "extra".'],
    [['fetch', 'demo', '--config'], 'Option "--config" needs a value.'],
    [['fetchh', 'demo'], 'Unknown command "fetchh".'],
    [
      ['start', '--ingest-port', 'eighty'],
      '--ingest-port must be a whole number from 0 to 65535 (got "eighty").',
    ],
  ])('ferry %j', async (args, message) => {
    const result = await ferry(...args);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.startsWith(`${message}\n`)).toBe(true);
    expect(result.stderr).toMatch(USAGE);
  });

  it('`--help` prints the usage and exits 0', async () => {
    const result = await ferry('--help');

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage: ferry <command> \[options\]\n/);
  });

  it('an error that is not the command line is printed once, without the usage, exit 1', async () => {
    const result = await ferry('history', 'no-such-instance');

    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `Instance "no-such-instance" is not in ${join(ROOT, 'ferry.config.json')}. Known instances: demo.`,
    ]);
  });
});
