/**
 * The fault-injection scenarios: one row each, named and seeded. The seed drives the demo source's
 * alert content and backlog spread, so a scenario replays identically; the id is what a failure
 * report and RELIABILITY.md refer to.
 */
export const ScenarioCategories = ['source', 'sink', 'store', 'process'] as const;
export type ScenarioCategory = (typeof ScenarioCategories)[number];

export interface Scenario {
  readonly id: string;
  readonly category: ScenarioCategory;
  /** What breaks, in a few words. */
  readonly fault: string;
  readonly seed: number;
}

const scenario = (id: string, category: ScenarioCategory, fault: string, seed: number): Scenario => ({
  id,
  category,
  fault,
  seed,
});

export const scenarios = [
  scenario('source-429-retry-after', 'source', '429 with Retry-After: 1 on one page request', 101),
  scenario('source-500-transient', 'source', '500 on two requests (retried within the fetch)', 102),
  scenario('source-500-persistent', 'source', '500 on every attempt of one fetch', 103),
  scenario('source-timeout', 'source', 'no answer within the client timeout, once', 104),
  scenario('source-connection-reset', 'source', 'connection reset before the answer, twice', 105),
  scenario('source-malformed-json', 'source', '200 with a body that is not JSON', 106),
  scenario('source-truncated-page', 'source', 'page cut off mid-body (connection closed)', 107),
  scenario('source-truncated-json', 'source', 'page answered complete but with half a JSON body', 108),
  scenario(
    'source-pages-change',
    'source',
    'ties, new and late-indexed alerts appear between two page requests',
    109,
  ),
  scenario(
    'source-poison-event',
    'source',
    '1 poison event (empty name) among 49 good ones on one page; re-driven once the mapping is fixed',
    110,
  ),
  scenario('sink-500', 'sink', '500 on every attempt of one push', 201),
  scenario('sink-timeout', 'sink', 'no answer (client timeout), once', 202),
  scenario('sink-accept-then-drop', 'sink', 'batch stored, then the connection dropped, every attempt', 203),
  scenario('sink-slow-accept-past-deadline', 'sink', 'batch stored, answer only after the deadline', 204),
  scenario('store-conditional-conflict', 'store', 'another writer moves the version during the push', 301),
  scenario(
    'store-throttled-transient',
    'store',
    'ProvisionedThroughputExceeded on the commit, twice (SDK retries)',
    302,
  ),
  scenario('store-throttled-commit', 'store', 'ProvisionedThroughputExceeded on every commit attempt', 303),
  scenario('store-throttled-acquire', 'store', 'ProvisionedThroughputExceeded on every acquire attempt', 304),
  scenario('store-unreachable', 'store', 'every store connection dropped for one invocation', 305),
  scenario(
    'store-unreachable-after-push',
    'store',
    'store connections dropped from the push on (commit, release, history)',
    306,
  ),
  scenario('kill-after-lease', 'process', 'process killed after step 1 (lease + read)', 401),
  scenario('kill-after-fetch', 'process', 'process killed after step 3 (fetch)', 402),
  scenario('kill-after-validate', 'process', 'process killed after steps 4–5 (validate, dedupe)', 403),
  scenario('kill-after-push', 'process', 'process killed after step 6 (push acknowledged)', 404),
  scenario('kill-after-commit', 'process', 'process killed after step 7 (commit)', 405),
  scenario('kill-before-history', 'process', 'process killed before step 8 (history)', 406),
  scenario('deadline-mid-page', 'process', 'the Lambda deadline reached while a page is being read', 407),
  scenario('concurrent-invocations', 'process', '6 simultaneous invocations of one instance', 408),
  scenario('lease-expires-under-holder', 'process', 'holder outlives its lease; another run takes over', 409),
] as const satisfies readonly Scenario[];

export type ScenarioId = (typeof scenarios)[number]['id'];

export const scenarioById = (id: ScenarioId): Scenario => scenarios.find((s) => s.id === id)!;
