/**
 * The config file of a scale run: `instances` instances of the demo connector, each reading its own
 * stream of the demo source (`<url>/streams/<n>`), as `npm start`'s shipped config reads the demo source,
 * all delivering to the local ingestion endpoint.
 */
export interface ScaleConfigOptions {
  readonly instances: number;
  /** Stream `n`'s base URL (the demo source's `streamUrl`). */
  readonly streamUrl: (n: number) => string;
  /** Each instance's `fetchInterval`, e.g. `1 minute`. */
  readonly fetchInterval: string;
  /** Where every instance starts reading: before the streams' first alert. */
  readonly firstFetch: Date;
}

/** `scale-0001` …: ids sort in stream order. */
export const scaleInstanceId = (n: number, instances: number): string =>
  `scale-${String(n).padStart(String(instances).length, '0')}`;

export const scaleConfig = (options: ScaleConfigOptions) => ({
  // The shipped config's sink: the local endpoint, its token from the environment (local default).
  sink: { type: 'ferry', token: { env: 'FERRY_INGEST_TOKEN' } },
  instances: Object.fromEntries(
    Array.from({ length: options.instances }, (_, i) => [
      scaleInstanceId(i + 1, options.instances),
      {
        connector: 'helloworld',
        fetchInterval: options.fetchInterval,
        params: {
          url: options.streamUrl(i + 1),
          first_fetch: options.firstFetch.toISOString(),
          // As the shipped config: a page of 200, and the look-back every deployed instance would run.
          max_fetch: 200,
          look_back: 1,
        },
        secrets: { apiKey: { env: 'DEMO_API_KEY' } },
      },
    ]),
  ),
});
