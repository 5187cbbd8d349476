import type { Logger } from '../../shared/logger.js';

/**
 * A logger that keeps every line as the code handed it, before any redaction: a test can show a
 * value was never given to the logger at all, not only that the redactor caught it.
 */
export const createCapturingLogger = (): Logger & { readonly lines: string[] } => {
  const lines: string[] = [];
  const make = (keys: Record<string, unknown>): Logger => {
    const write =
      (level: string) =>
      (...args: unknown[]) => {
        lines.push(
          JSON.stringify({
            level,
            keys,
            args: args.map((arg) =>
              arg instanceof Error ? { message: arg.message, stack: arg.stack } : arg,
            ),
          }),
        );
      };
    return {
      debug: write('DEBUG'),
      info: write('INFO'),
      warn: write('WARN'),
      error: write('ERROR'),
      child: (more) => make({ ...keys, ...more }),
    } as Logger;
  };
  return Object.assign(make({}), { lines });
};
