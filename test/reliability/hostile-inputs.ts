import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR, writeResults } from './report.js';

/**
 * The "hostile inputs" section of RELIABILITY.md: what an attacker or a hostile source was measured to
 * achieve. Each hostile test file records, per input it tried, what happened (the status, the error
 * code, whether a credential arrived elsewhere) and whether that is what Ferry promises; its results
 * go to `results/hostile-<category>.json` and the report reads them all back.
 */

/** One hostile input and what it did. */
export interface HostileResult {
  readonly input: string;
  /** What Ferry promises for it. */
  readonly expected: string;
  /** What was measured. */
  readonly measured: string;
  readonly passed: boolean;
}

interface HostileCategory {
  readonly category: string;
  readonly recordedAt: string;
  readonly results: HostileResult[];
}

/**
 * A recorder for one category; call `write()` in `afterAll`. Results are sorted by input so a rerun
 * that finishes its cases in another order writes the same file.
 * @example const hostile = hostileRecorder('Redirects'); hostile.record({ input, expected, measured, passed });
 */
export const hostileRecorder = (category: string) => {
  const results: HostileResult[] = [];
  return {
    record: (result: HostileResult) => results.push(result),
    write: () => {
      if (results.length === 0) return;
      const slug = category.toLowerCase().replace(/[^a-z0-9]+/g, '-');
      writeResults(`hostile-${slug}`, {
        category,
        recordedAt: new Date().toISOString(),
        results: [...results].sort((a, b) => a.input.localeCompare(b.input)),
      } satisfies HostileCategory);
    },
  };
};

const readCategories = (): HostileCategory[] => {
  let files: string[];
  try {
    files = readdirSync(RESULTS_DIR).filter((file) => file.startsWith('hostile-'));
  } catch {
    return [];
  }
  return files
    .sort()
    .map((file) => JSON.parse(readFileSync(join(RESULTS_DIR, file), 'utf8')) as HostileCategory);
};

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The section's lines, from the recorded results. */
export const hostileInputsSection = (): string[] => {
  const categories = readCategories();
  const all = categories.flatMap((category) => category.results);
  const failed = all.filter((result) => !result.passed).length;
  const lines = [
    `## Hostile inputs — ${all.length} inputs in ${categories.length} categories, ${failed === 0 ? 'all as promised' : `${failed} NOT as promised`}`,
    '',
    'What a hostile source, a hostile network neighbour, a careless operator or a broken client was measured',
    'to achieve against the real components (two HTTP servers on 127.0.0.1 for two origins, DynamoDB Local,',
    'the ingestion endpoint). Each category is one test file under `test/`; the security model is in',
    '`docs/security.md`.',
    '',
  ];
  if (categories.length === 0) return [...lines, 'Not run yet.', ''];
  for (const category of categories) {
    const passedCount = category.results.filter((result) => result.passed).length;
    lines.push(
      `### ${category.category} — ${passedCount} of ${category.results.length} as promised`,
      '',
      `Last run: ${category.recordedAt}.`,
      '',
      '| Input tried | Promise | Measured | Result |',
      '|---|---|---|---|',
      ...category.results.map(
        (result) =>
          `| ${cell(result.input)} | ${cell(result.expected)} | ${cell(result.measured)} | ${result.passed ? 'as promised' : '**NOT as promised**'} |`,
      ),
      '',
    );
  }
  return lines;
};
