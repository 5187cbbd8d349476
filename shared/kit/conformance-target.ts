import type { Connector } from '../connector.js';
import type { StateStore } from '../state/state-store.js';

/** One request the source answered, as its rate-limit probe recorded it. */
export interface SourceRequest {
  /** When the request arrived, epoch ms. */
  readonly at: number;
  readonly status: number;
  /** For a rate-limited answer: how long its headers asked the client to wait, in ms. */
  readonly advertisedMs?: number;
}

/** Lets the kit rate-limit a source and see when the connector came back. */
export interface RateLimitProbe {
  /** The source answers its next request as the vendor does when rate limited (429 and its headers), asking to wait `seconds`. */
  next(seconds: number): void;
  /** Every request answered so far, oldest first. */
  log(): readonly SourceRequest[];
}

/**
 * A running source the checks fetch from: the vendor's API on 127.0.0.1, or the real product. Each
 * check starts its own, so what one check adds, no other sees.
 */
export interface ConformanceSource {
  /** The instance's parameters pointing at this source; each check sets first_fetch, max_fetch and look_back as it needs. */
  readonly params: Record<string, unknown>;
  /** Secret values that work, by name. */
  readonly secrets: Readonly<Record<string, string>>;
  /** The same secrets with a wrong credential. */
  readonly wrongSecrets: Readonly<Record<string, string>>;
  /**
   * Adds one event per time (each `occurred` that instant) and resolves, once the source serves them,
   * with the `dbotMirrorId` each becomes, in the same order.
   */
  add(occurred: readonly Date[]): Promise<string[]>;
  /** How to rate-limit the source; leave out only with `skip.rateLimit` saying why. */
  readonly rateLimit?: RateLimitProbe;
  close(): Promise<void>;
}

/** Parameters a connector must refuse, and what its message must say. */
export interface BadParams {
  /** What the check is about, for the report. */
  readonly title: string;
  /** Merged over the source's valid parameters; an `undefined` value removes the key. */
  readonly params: Readonly<Record<string, unknown>>;
  /** A fragment the message must contain, e.g. `'params.url must be'`. */
  readonly message: string | RegExp;
}

/** The checks of the suite, by name. */
export const ConformanceChecks = {
  firstFetch: 'the first fetch honours first_fetch',
  maxFetch: 'no fetch pushes more than max_fetch',
  resume: 'resumes with no gap and no duplicate across fetches (runner, DynamoDB Local)',
  empty: 'an empty source is a successful fetch',
  credentials: 'the Test button passes, and fails with a clear message on a wrong credential',
  rateLimit: 'a 429 is retried after the advertised delay',
  badParams: 'bad parameters give a clear error naming the field',
  prefetch: 'a prefetched fetch only reads: the same last run fetched twice gives the same incidents',
} as const;

export type ConformanceCheck = keyof typeof ConformanceChecks;

/** What {@link runConformanceSuite} needs to know about one connector. */
/**
 * Where the resume check keeps its state: a real store the runner commits to (the check is about the
 * store as much as the connector). The kit does not start one itself, so that it never depends on how
 * a store is run; this repository's tests pass DynamoDB Local (`test/helpers/kit-dynamo.ts`).
 */
export interface KitStateStore {
  /** Opens (or returns the already open) store. */
  open(): Promise<StateStore>;
  /** Closes it; called once after the last suite of a test file. */
  close(): Promise<void>;
}

export interface ConformanceTarget {
  /** Shown in the suite's name. @default the connector's name */
  readonly name?: string;
  readonly connector: Connector;
  /** The state store the resume check runs the connector on. */
  readonly stateStore: KitStateStore;
  /** Starts a fresh, isolated source for one check. */
  readonly startSource: () => Promise<ConformanceSource>;
  /** The connector's own parameter mistakes (the suite adds an unknown key and a bad max_fetch). */
  readonly badParams?: readonly BadParams[];
  /** The smallest time step the source keeps (second-precision APIs: 1000). @default 1000 */
  readonly timeStepMs?: number;
  /** Checks that do not apply, each with the reason; they show as skipped with it. */
  readonly skip?: Partial<Record<ConformanceCheck, string>>;
  /** Per-check time limit. @default 30_000 */
  readonly timeoutMs?: number;
}
