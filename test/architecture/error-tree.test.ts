import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

const productFiles = async (): Promise<string[]> => {
  const files: string[] = [];
  for (const folder of ['shared', 'functions', 'local', 'cdk']) {
    for (const file of await readdir(join(root, folder), { recursive: true })) {
      if (file.endsWith('.ts')) files.push(join(folder, file));
    }
  }
  return files;
};

/** Lines of `text` matching `pattern`, as `file:line: text`. */
const matchingLines = (file: string, text: string, pattern: RegExp): string[] =>
  text
    .split('\n')
    .flatMap((line, index) => (pattern.test(line) ? [`${file}:${index + 1}: ${line.trim()}`] : []));

describe('one error tree', () => {
  it('product code throws only FerryErrors: no plain Error, TypeError or RangeError of its own', async () => {
    const plain: string[] = [];
    for (const file of await productFiles()) {
      const text = await readFile(join(root, file), 'utf8');
      plain.push(...matchingLines(file, text, /\bnew (Error|TypeError|RangeError)\(/));
    }
    // redact() copies an error with its secrets masked: the copy keeps the original's name, it is
    // not a new failure.
    const allowed = [join('shared', 'redact.ts')];
    for (const line of [...plain]) {
      if (allowed.some((file) => line.startsWith(`${file}:`))) plain.splice(plain.indexOf(line), 1);
    }

    expect(plain).toEqual([]);
  });

  it('names error codes through ErrorCodes, never as a string literal outside shared/errors.ts', async () => {
    const literals: string[] = [];
    for (const file of await productFiles()) {
      if (file === join('shared', 'errors.ts')) continue;
      const text = await readFile(join(root, file), 'utf8');
      literals.push(
        ...matchingLines(file, text, /['"](CONFIG_INVALID|SECRET_MISSING|STATE_CORRUPT|LEASE_HELD)['"]/),
      );
    }

    expect(literals).toEqual([]);
  });
});
