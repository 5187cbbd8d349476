import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One ```ts block of a Markdown file. */
export interface CodeBlock {
  /** `README.md:234`: where the block opens. */
  readonly where: string;
  /** The file the block stands for: its `// path/to/file.ts` first line, else one beside the document. */
  readonly path: string;
  readonly code: string;
  /** ```ts fragment <reason>: a deliberate excerpt, not compiled; the reason is required. */
  readonly fragment?: string;
}

const FENCE = /^```(ts|typescript)(?:\s+(.*))?$/;
const PATH_COMMENT = /^\/\/ ((?:[\w.-]+\/)*[\w.-]+\.ts)\s*$/;

/**
 * The TypeScript blocks of a Markdown document. A block whose first line is `// functions/acme/connector.ts`
 * is compiled as that file (so its relative imports resolve as they would there, and blocks of one
 * document import each other); any other block as a file beside the document.
 */
export const codeBlocksOf = (root: string, document: string): CodeBlock[] => {
  const lines = readFileSync(document, 'utf8').split('\n');
  const name = relative(root, document);
  const blocks: CodeBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index]!);
    if (!open) continue;
    const start = index;
    const body: string[] = [];
    for (index++; index < lines.length && !lines[index]!.startsWith('```'); index++) body.push(lines[index]!);
    const info = open[2]?.trim() ?? '';
    const declared = PATH_COMMENT.exec(body[0] ?? '')?.[1];
    blocks.push({
      where: `${name}:${start + 1}`,
      path: join(root, declared ?? `${name.replace(/\.md$/, '')}.block-${start + 1}.ts`),
      code: body.join('\n'),
      ...(info.startsWith('fragment')
        ? {
            fragment: info
              .slice('fragment'.length)
              .replace(/^:?\s*/, '')
              .trim(),
          }
        : {}),
    });
  }
  return blocks;
};

/** README.md and every docs/*.md. */
export const documentsOf = (root: string): string[] => [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .sort()
    .map((file) => join(root, 'docs', file)),
];
