import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Defaults of the local system: fixed ports, so the README's URLs are true. */
export const defaultLocal = {
  ingestPort: 8787,
  demoPort: 8788,
  dashboardPort: 8790,
  // Local-only credentials: the demo source and the local endpoint accept them; nothing else does.
  ingestToken: 'ferry-local-token',
  demoApiKey: 'demo-api-key',
} as const;

/** What a running `ferry start` tells other commands (the CLI connects to its DynamoDB). */
export interface RuntimeInfo {
  pid: number;
  dynamoEndpoint: string;
  ingestUrl: string;
  demoUrl?: string;
  dashboardUrl?: string;
  configPath: string;
  startedAt: string;
  /** The run id prefix of this process's leases (lease-holder.ts): a restart knows them for its own. */
  leaseHolder?: string;
}

export const runtimeFile = (dataDir: string): string => join(dataDir, 'runtime.json');

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The running system's runtime info, or `undefined` when none is running. */
export const readRuntime = async (dataDir: string): Promise<RuntimeInfo | undefined> => {
  try {
    const info = JSON.parse(await readFile(runtimeFile(dataDir), 'utf8')) as RuntimeInfo;
    return isAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
};
