import type { FetchSettings } from '../config/resolve-settings.js';
import type { InstanceDocument } from '../config/schema.js';
import { ConfigError } from '../errors.js';

/**
 * XSOAR's recommended Fetch Limit. Its "Fetching Incidents" page: "To maintain an optimal load on
 * Cortex XSOAR we recommend setting a limit of 200 incidents per fetch … If you enter a larger number
 * or leave Fetch Limit blank, the Test button will fail."
 */
export const XSOAR_FETCH_LIMIT = 200;

/**
 * The Test button's rule for `max_fetch`: with an `xsoar` sink a value over 200 fails the test, as in
 * XSOAR, with the reason and the fix; with another sink it passes with a note (nothing loads XSOAR).
 * Returns the notes for the test's answer.
 */
export const checkFetchLimit = (document: InstanceDocument, settings: FetchSettings): string[] => {
  if (settings.maxFetch <= XSOAR_FETCH_LIMIT) return [];
  if (document.sink.type === 'xsoar') {
    throw new ConfigError(
      `Instance "${document.id}": params.max_fetch is ${settings.maxFetch}, above XSOAR's Fetch Limit of ${XSOAR_FETCH_LIMIT}; ` +
        `XSOAR's own Test button fails such an instance, to keep the load on XSOAR workable. Set "max_fetch" to ${XSOAR_FETCH_LIMIT} or less: ` +
        'a backlog is drained by the next fetches, and a shorter fetchInterval raises the throughput.',
      document.id,
      'params.max_fetch',
    );
  }
  return [
    `params.max_fetch is ${settings.maxFetch}, above XSOAR's recommended Fetch Limit of ${XSOAR_FETCH_LIMIT}; ` +
      `allowed, since this instance's sink is "${document.sink.type}", not XSOAR (XSOAR would refuse it).`,
  ];
};
