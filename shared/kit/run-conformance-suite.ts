import { afterAll, beforeAll, describe, it } from 'vitest';
import { mayPrefetch } from '../runner/run-fetch.js';
import { conformanceChecks } from './conformance-checks.js';
import type { KitStateStore } from './conformance-target.js';
import { type ConformanceCheck, ConformanceChecks, type ConformanceTarget } from './conformance-target.js';

/** The stores this test file's suites opened, closed once after the file. */
const openedStores = new Set<KitStateStore>();

/**
 * Registers the connector conformance suite (Vitest tests) for one connector against its own test
 * source. Call it at the top level of a test file, once per connector or configuration; the suites of
 * one file share the state store they pass (opened once, closed after the file).
 *
 * @example
 * runConformanceSuite({
 *   connector: helloworld,
 *   stateStore: kitDynamo, // test/helpers/kit-dynamo.ts: a table on DynamoDB Local
 *   startSource: async () => {
 *     const source = await startDemoSource({ apiKey: 'k', ratePerSecond: 0 });
 *     return { params: { url: source.url }, secrets: { apiKey: 'k' }, wrongSecrets: { apiKey: 'x' },
 *       add: async (times) => times.map((created) => source.add({ created }).id), close: () => source.close() };
 *   },
 *   badParams: [{ title: 'a URL that is not one', params: { url: 'nope' }, message: 'params.url must be' }],
 * });
 */
export const runConformanceSuite = (target: ConformanceTarget): void => {
  if (openedStores.size === 0) {
    afterAll(async () => {
      const stores = [...openedStores];
      openedStores.clear();
      await Promise.all(stores.map((store) => store.close()));
    });
  }
  openedStores.add(target.stateStore);
  const timeout = target.timeoutMs ?? 30_000;
  describe(`connector conformance: ${target.name ?? target.connector.name}`, () => {
    // A real store can take seconds to start: in a hook, not inside the resume check's time limit.
    if (target.skip?.resume === undefined)
      beforeAll(() => target.stateStore.open().then(() => undefined), 90_000);
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
