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

/** The local-only credentials by the variable the default config reads them from. */
const defaultCredentials = {
  FERRY_INGEST_TOKEN: defaultLocal.ingestToken,
  DEMO_API_KEY: defaultLocal.demoApiKey,
} as const;

export type DefaultedVariable = keyof typeof defaultCredentials;

/**
 * Fills the local-only credentials the operator did not export, so `npm start` and every `ferry`
 * command work with no environment set. `only` limits it to the variables a running `ferry start`
 * filled itself: a system started with its own token needs that same token exported here (the
 * runtime file names the variables, never a value). Returns the variables it filled.
 */
export const applyLocalDefaults = (
  env: NodeJS.ProcessEnv = process.env,
  only: readonly string[] = Object.keys(defaultCredentials),
): DefaultedVariable[] => {
  const filled: DefaultedVariable[] = [];
  for (const [variable, value] of Object.entries(defaultCredentials) as [DefaultedVariable, string][]) {
    if (env[variable] || !only.includes(variable)) continue;
    env[variable] = value;
    filled.push(variable);
  }
  return filled;
};

/** What a running `ferry start` tells other commands (the CLI connects to its DynamoDB). */
export interface RuntimeInfo {
  pid: number;
  /** The variables `ferry start` filled with the local defaults (the CLI fills the same). */
  defaultedVariables?: string[];
  dynamoEndpoint: string;
  /**
   * `external`: a DynamoDB named by AWS_ENDPOINT_URL_DYNAMODB, which the CLI reaches with the SDK's
   * credentials and this region, as `ferry start` does (local/external-dynamo.ts); otherwise embedded.
   */
  dynamoEngine?: string;
  dynamoRegion?: string;
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
