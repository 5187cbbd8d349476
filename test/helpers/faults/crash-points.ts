import type { Connector, ConnectorContext, FetchResult } from '../../../shared/connector.js';
import { windowFetch } from '../../../shared/lookback/window-fetch.js';
import type { Sink } from '../../../shared/sinks/sink.js';
import type { StateStore } from '../../../shared/state/state-store.js';

/** The step boundaries of DESIGN.md's fetch path at which a process can die. */
export const CrashPoints = [
  'after-lease',
  'after-fetch',
  'after-validate',
  'after-push',
  'after-commit',
  'before-history',
] as const;
export type CrashPoint = (typeof CrashPoints)[number];

/** Thrown into the runner where the process died; everything after it is refused. */
export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
  constructor(readonly point: CrashPoint) {
    super(`Simulated crash ${point}: the process is gone; nothing after this point happens.`);
  }
}

/**
 * A process that dies at one step boundary. Once it has "died", every later call into the store and
 * the sink fails without doing anything: no lease release, no history, no commit — as after a
 * SIGKILL or a Lambda timeout, and unlike an exception the runner could clean up after.
 */
export interface CrashSwitch {
  readonly at: CrashPoint | undefined;
  readonly crashed: boolean;
  /** Dies here if `point` is the armed one; throws if already dead. */
  reach(point: CrashPoint): void;
  /** Throws if dead. */
  alive(): void;
}

export const createCrashSwitch = (at: CrashPoint | undefined): CrashSwitch => {
  let crashed = false;
  const alive = () => {
    if (crashed && at) throw new SimulatedCrash(at);
  };
  return {
    at,
    get crashed() {
      return crashed;
    },
    alive,
    reach(point) {
      alive();
      if (point === at) {
        crashed = true;
        throw new SimulatedCrash(point);
      }
    },
  };
};

/** The store as the dying process sees it: crashes after the lease, after the commit, before history. */
export const crashingStore = (store: StateStore, crash: CrashSwitch): StateStore => ({
  acquire: async (id, request) => {
    crash.alive();
    const state = await store.acquire(id, request);
    crash.reach('after-lease');
    return state;
  },
  commit: async (id, request) => {
    crash.alive();
    const version = await store.commit(id, request);
    crash.reach('after-commit');
    return version;
  },
  release: async (id, request) => {
    crash.alive();
    return store.release(id, request);
  },
  read: async (id) => {
    crash.alive();
    return store.read(id);
  },
  setLastRun: async (id, write) => {
    crash.alive();
    return store.setLastRun(id, write);
  },
  writeHistory: async (record) => {
    crash.reach('before-history');
    return store.writeHistory(record);
  },
  listHistory: (id, options) => store.listHistory(id, options),
  getContext: async (id) => {
    crash.alive();
    return store.getContext(id);
  },
  setContext: async (id, value, version) => {
    crash.alive();
    return store.setContext(id, value, version);
  },
});

/** The sink as the dying process sees it: validation is done when `push` is called; crashes before or after it. */
export const crashingSink = (sink: Sink, crash: CrashSwitch): Sink => ({
  type: sink.type,
  push: async (batch, options) => {
    crash.reach('after-validate');
    const result = await sink.push(batch, options);
    crash.reach('after-push');
    return result;
  },
});

/**
 * Wraps a connector so the test controls what the runner cannot: the HTTP client the connector gets
 * (short timeouts, fast backoff) and a crash right after the fetch returned.
 */
export const instrumentConnector = (
  connector: Connector,
  options: { crash?: CrashSwitch; http?: (ctx: ConnectorContext) => ConnectorContext['http'] } = {},
): Connector => ({
  name: connector.name,
  params: connector.params,
  secrets: connector.secrets,
  style: 'cursor',
  test: (ctx) => connector.test(ctx),
  async fetchIncidents(ctx): Promise<FetchResult> {
    const wired = options.http ? { ...ctx, http: options.http(ctx) } : ctx;
    const result =
      connector.style === 'window'
        ? await windowFetch(connector, wired)
        : await connector.fetchIncidents(wired);
    options.crash?.reach('after-fetch');
    return result;
  },
});
