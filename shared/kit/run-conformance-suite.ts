import { afterAll, beforeAll, describe, it } from 'vitest';
import { mayPrefetch } from '../runner/run-fetch.js';
import { conformanceChecks } from './conformance-checks.js';
import {
  type ConformanceCheck,
  ConformanceChecks,
  type ConformanceTarget,
  type KitStateStore,
} from './conformance-target.js';

/** Stores whose closing is registered for the current test file: several suites share one. */
const closing = new Set<KitStateStore>();

/**
 * Registers the connector conformance suite (Vitest tests) for one connector against its own test
 * source. Call it at the top level of a test file, once per connector or configuration; the suites of
 * one file that name the same `stateStore` share it, and it is closed after the file.
 *
 * @example
 * runConformanceSuite({
 *   connector: helloworld,
 *   stateStore: kitDynamo, // test/helpers/kit-dynamo.ts
 *   startSource: async () => {
 *     const source = await startDemoSource({ apiKey: 'k', ratePerSecond: 0 });
 *     return { params: { url: source.url }, secrets: { apiKey: 'k' }, wrongSecrets: { apiKey: 'x' },
 *       add: async (times) => times.map((created) => source.add({ created }).id), close: () => source.close() };
 *   },
 *   badParams: [{ title: 'a URL that is not one', params: { url: 'nope' }, message: 'params.url must be' }],
 * });
 */
export const runConformanceSuite = (target: ConformanceTarget): void => {
  const { stateStore } = target;
  if (!closing.has(stateStore)) {
    closing.add(stateStore);
    afterAll(async () => {
      closing.delete(stateStore);
      await stateStore.close();
    });
  }
  const timeout = target.timeoutMs ?? 30_000;
  describe(`connector conformance: ${target.name ?? target.connector.name}`, () => {
    // DynamoDB Local takes seconds to start: in a hook, not inside the resume check's time limit.
    if (target.skip?.resume === undefined) beforeAll(() => stateStore.open().then(() => undefined), 90_000);
    for (const check of Object.keys(ConformanceChecks) as ConformanceCheck[]) {
      const title = ConformanceChecks[check];
      const reason =
        target.skip?.[check] ??
        (check === 'prefetch' && !mayPrefetch(target.connector)
          ? 'the connector does not declare prefetch, so the runner never drops one of its fetches'
          : undefined);
      if (reason !== undefined) {
        it.skip(`${title} (does not apply: ${reason})`, () => undefined);
      } else if (check === 'resume') {
        for (const lookBack of [0, 5]) {
          it(`${title}, look_back ${lookBack}`, () => conformanceChecks.resume(target, lookBack), timeout);
        }
      } else {
        it(title, () => conformanceChecks[check](target, 0), timeout);
      }
    }
  });
};
