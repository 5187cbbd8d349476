import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../shared/errors.js';

/**
 * One error tree: the product throws FerryErrors only (each with a code from ErrorCodes), names codes
 * through ErrorCodes, and tells its handler's answers apart by their `kind`, never by their shape.
 */

const root = resolve(import.meta.dirname, '../..');
const productFolders = ['shared', 'functions', 'local', 'cdk'];

const productFiles = async (): Promise<string[]> => {
  const files: string[] = [];
  for (const folder of productFolders) {
    for (const file of await readdir(join(root, folder), { recursive: true })) {
      if (file.endsWith('.ts') && !file.endsWith('.d.ts')) files.push(join(folder, file));
    }
  }
  return files;
};

/** Lines of every product file matching `pattern`, as `file:line: text`. */
const productLines = async (pattern: RegExp, skip: (file: string) => boolean = () => false) => {
  const found: string[] = [];
  for (const file of await productFiles()) {
    if (skip(file)) continue;
    const lines = (await readFile(join(root, file), 'utf8')).split('\n');
    lines.forEach((line, index) => {
      if (pattern.test(line)) found.push(`${file}:${index + 1}: ${line.trim()}`);
    });
  }
  return found;
};

describe('one error tree', () => {
  it('the product makes no plain Error, TypeError or RangeError of its own: only FerryErrors', async () => {
    expect(await productLines(/\bnew (Error|TypeError|RangeError|SyntaxError)\(/)).toEqual([]);
  });

  it('names error codes through ErrorCodes, never as a string literal outside shared/errors.ts', async () => {
    const codes = Object.values(ErrorCodes).join('|');

    const literals = await productLines(
      new RegExp(`['"](${codes})['"]`),
      (file) => file === join('shared', 'errors.ts'),
    );

    expect(literals).toEqual([]);
  });

  it("tells the handler's answers apart by their kind, not by probing their shape", async () => {
    expect(await productLines(/['"](status|ok|operation|replay)['"] in \w/)).toEqual([]);
  });
});
