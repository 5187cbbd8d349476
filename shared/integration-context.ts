import type { StateStore } from './state/state-store.js';

/**
 * A connector's state beyond the cursor (an OAuth token, a discovered API version), versioned like
 * XSOAR's `getIntegrationContextVersioned`/`setIntegrationContextVersioned`: `set` succeeds only if
 * nobody wrote since this handle's `get`, so two writers cannot silently overwrite each other.
 */
export interface IntegrationContext {
  get(): Promise<Record<string, unknown>>;
  /** Throws `StateConflictError` when another writer changed it since `get`. */
  set(value: Record<string, unknown>): Promise<void>;
}

/** The integration context of one instance, backed by the state store. */
export const createIntegrationContext = (store: StateStore, instanceId: string): IntegrationContext => {
  let version: number | undefined;
  return {
    async get() {
      const stored = await store.getContext(instanceId);
      version = stored.version;
      return stored.value;
    },
    async set(value) {
      if (version === undefined) version = (await store.getContext(instanceId)).version;
      version = await store.setContext(instanceId, value, version);
    },
  };
};
