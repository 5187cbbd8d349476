import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** Every TypeScript file under a folder of the repository. */
const sourceFiles = async (folder: string): Promise<string[]> =>
  (await readdir(join(root, folder), { recursive: true }))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(folder, file));

// `import … from`, `export … from`, `import '…'` and `import('…')`, relative specifiers only: a
// package name cannot reach into the repository's own folders.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/** The repository folder each relative import of `file` lands in. */
const importedFolders = (file: string, text: string): { specifier: string; folder: string }[] =>
  [...text.matchAll(SPECIFIER)].map(([, specifier]) => {
    const target = relative(root, resolve(root, dirname(file), specifier!));
    return { specifier: specifier!, folder: target.split(/[\\/]/)[0]! };
  });

/** The folders the product's framework must never depend on: tooling, deployables and tests. */
const OFF_LIMITS_FOR_SHARED = ['local', 'functions', 'cdk', 'test', 'bench', 'scripts'];

describe('import boundaries', () => {
  it('finds the folder of each kind of relative import', () => {
    const text = [
      "import { a } from '../../local/dynamodb.js';",
      "export { b } from '../runner/run-fetch.js';",
      "const c = await import('../../cdk/ferry-stack.js');",
      "import '../../test/helpers/runtime.js';",
      "import * as z from 'zod';",
    ].join('\n');

    expect(importedFolders('shared/kit/x.ts', text).map(({ folder }) => folder)).toEqual([
      'local',
      'shared',
      'cdk',
      'test',
    ]);
  });

  it('keeps shared/ free of local/, functions/, cdk/ and test tooling: the framework depends on nothing above it', async () => {
    const crossings: string[] = [];
    for (const file of await sourceFiles('shared')) {
      const text = await readFile(join(root, file), 'utf8');
      for (const { specifier, folder } of importedFolders(file, text)) {
        if (OFF_LIMITS_FOR_SHARED.includes(folder)) crossings.push(`${file} imports ${specifier}`);
      }
    }

    expect(crossings).toEqual([]);
  });

  it('keeps test tooling out of the product: nothing in shared/, functions/, local/ or cdk/ imports test/ or bench/', async () => {
    const crossings: string[] = [];
    for (const product of ['shared', 'functions', 'local', 'cdk']) {
      for (const file of await sourceFiles(product)) {
        const text = await readFile(join(root, file), 'utf8');
        for (const { specifier, folder } of importedFolders(file, text)) {
          if (folder === 'test' || folder === 'bench') crossings.push(`${file} imports ${specifier}`);
        }
      }
    }

    expect(crossings).toEqual([]);
  });
});
