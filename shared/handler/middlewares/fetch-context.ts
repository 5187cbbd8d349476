import type { Context } from 'aws-lambda';
import type { InstanceDocument } from '../../config/schema.js';
import { ConfigError } from '../../errors.js';
import type { Sink } from '../../sinks/sink.js';

/** What {@link loadInstance} leaves for the handler: the instance's document and, unless a test, its sink. */
export interface LoadedInstance {
  readonly document: InstanceDocument;
  /** Absent for a connector test, which pushes nothing and needs no sink credentials. */
  readonly sink?: Sink;
}

/**
 * The Lambda context as the fetch handler sees it once its middlewares ran (middy passes what a middleware
 * loads in the context). Callers outside Lambda may give only `getRemainingTimeInMillis`: the handler reads
 * nothing else of it.
 */
export type FetchContext = Context & { ferryInstance?: LoadedInstance };

/** The loaded instance, or a bug report: the handler was composed without its loading middleware. */
export const loadedInstance = (context: FetchContext): LoadedInstance => {
  if (!context.ferryInstance)
    throw new ConfigError(
      'The fetch handler ran without its loadInstance middleware; compose it with createFetchHandler.',
    );
  return context.ferryInstance;
};
