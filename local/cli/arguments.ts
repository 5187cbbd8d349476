import { parseArgs } from 'node:util';
import { UsageError } from './usage.js';

/** Every option the CLI knows; which command takes which is in `commands.ts`. */
const optionSpecs = {
  config: { type: 'string', default: 'ferry.config.json' },
  'data-dir': { type: 'string', default: '.ferry' },
  debug: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  limit: { type: 'string' },
  reset: { type: 'boolean', default: false },
  set: { type: 'string' },
  aws: { type: 'boolean', default: false },
  stack: { type: 'string', default: 'Ferry' },
  from: { type: 'string' },
  to: { type: 'string' },
  resume: { type: 'string' },
  'ingest-port': { type: 'string' },
  'demo-port': { type: 'string' },
  'dashboard-port': { type: 'string' },
  export: { type: 'boolean', default: false },
  redrive: { type: 'boolean', default: false },
  discard: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export type OptionName = keyof typeof optionSpecs;

/** Options every command takes. */
export const globalOptions: readonly OptionName[] = ['config', 'data-dir', 'help'];

export interface ParsedArguments {
  readonly command?: string;
  readonly positionals: string[];
  readonly values: ReturnType<typeof parseStrict>['values'];
  /** The options given on the command line (not their defaults), by name. */
  readonly given: OptionName[];
}

const parseStrict = (argv: string[]) =>
  parseArgs({ args: argv, allowPositionals: true, strict: true, tokens: true, options: optionSpecs });

/**
 * Parses the command line strictly: an unknown option or a missing value is a {@link UsageError} that
 * names it (node's own message is about its API, not about ferry).
 */
export const parseArguments = (argv: string[]): ParsedArguments => {
  let parsed: ReturnType<typeof parseStrict>;
  try {
    parsed = parseStrict(argv);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const named = /'(-[^' ]+)/.exec((error as Error).message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new UsageError(`Unknown option "${named ?? argv.join(' ')}".`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new UsageError(`Option "${named ?? '?'}" needs a value.`);
    throw error;
  }
  const given = [
    ...new Set(parsed.tokens.flatMap((token) => (token.kind === 'option' ? [token.name as OptionName] : []))),
  ];
  const [command, ...positionals] = parsed.positionals;
  return { command, positionals, values: parsed.values, given };
};

/** A whole number within [min, max] from an option's text, or a UsageError naming the option. */
export const integerOption = (name: string, text: string, min: number, max: number): number => {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${text}").`);
  }
  return value;
};
