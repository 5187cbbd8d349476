import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { redactingReplacer } from './redact.js';

/** The logger every part of Ferry writes to: Powertools' structured JSON, secrets redacted. */
export type Logger = Pick<PowertoolsLogger, 'debug' | 'info' | 'warn' | 'error'> & {
  /** A logger whose every line carries `keys` as well (instance, connector, run id). */
  child(keys: Record<string, unknown>): Logger;
};

export interface LoggerOptions {
  /** @default 'ferry' */
  readonly serviceName?: string;
  /** @default process.env.LOG_LEVEL or 'INFO' */
  readonly level?: LogLevel;
  readonly keys?: Record<string, unknown>;
}

const wrap = (logger: PowertoolsLogger): Logger =>
  Object.assign(logger, {
    child: (keys: Record<string, unknown>) => wrap(logger.createChild({ persistentKeys: keys })),
  });

/** Creates the root logger; call once per cold start and pass it in. */
export const createLogger = (options: LoggerOptions = {}): Logger =>
  wrap(
    new PowertoolsLogger({
      serviceName: options.serviceName ?? 'ferry',
      logLevel: options.level ?? ((process.env.LOG_LEVEL as LogLevel | undefined) || 'INFO'),
      persistentKeys: options.keys ?? {},
      jsonReplacerFn: redactingReplacer,
    }),
  );
