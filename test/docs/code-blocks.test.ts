import { resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeBlocksOf, documentsOf } from './code-blocks.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The project's compiler options, from tsconfig.json. */
const projectOptions = (): ts.CompilerOptions => {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    resolve(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error('tsconfig.json could not be read');
  return parsed.options;
};

/** Type-checks the given files (path → text) as part of the project; the diagnostics in those files. */
const typecheck = (files: Map<string, string>, options: ts.CompilerOptions, old?: ts.Program) => {
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name) ?? readFile.call(host, name);
  // A block's folder (functions/acme/) may exist only in the document.
  const { directoryExists } = host;
  host.directoryExists = (name) =>
    [...files.keys()].some((file) => file.startsWith(`${name}/`)) ||
    (directoryExists?.call(host, name) ?? true);
  host.getSourceFile = (name, language, ...rest) =>
    files.has(name)
      ? ts.createSourceFile(name, files.get(name)!, language, true)
      : getSourceFile.call(host, name, language, ...rest);
  const program = ts.createProgram({ rootNames: [...files.keys()], options, host, oldProgram: old });
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file && files.has(diagnostic.file.fileName));
  return { program, diagnostics };
};

const options = projectOptions();
let previous: ts.Program | undefined;

describe('every TypeScript block of README.md and docs/*.md compiles against the project', () => {
  for (const document of documentsOf(ROOT)) {
    const blocks = codeBlocksOf(ROOT, document);
    if (blocks.length === 0) continue;
    it(`${document.slice(ROOT.length + 1)} (${blocks.length} blocks)`, { timeout: 120_000 }, () => {
      for (const block of blocks.filter((b) => b.fragment !== undefined)) {
        expect(
          block.fragment,
          `${block.where}: say why it is a fragment: \`\`\`ts fragment <reason>`,
        ).not.toBe('');
      }
      const compiled = blocks.filter((block) => block.fragment === undefined);
      const files = new Map(compiled.map((block) => [block.path, block.code]));
      expect(files.size, 'two blocks of one document claim the same file').toBe(compiled.length);

      const { program, diagnostics } = typecheck(files, options, previous);
      previous = program;

      const messages = diagnostics.map((diagnostic) => {
        const block = compiled.find((b) => b.path === diagnostic.file!.fileName)!;
        const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
        return `${block.where} (+${line}): TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`;
      });
      expect(messages).toEqual([]);
    });
  }

  it('finds the blocks, their declared files and their fragments', () => {
    const blocks = documentsOf(ROOT).flatMap((document) => codeBlocksOf(ROOT, document));

    expect(blocks.length).toBeGreaterThan(3);
    expect(blocks.some((block) => block.path.endsWith('functions/acme/connector.ts'))).toBe(true);
  });
});
