import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LocalSetupError } from '../shared/errors.js';
import { freePort } from '../shared/listen.js';
import { canRunLauncher, spawnLoopbackDynamoDbLocal } from './dynamodb-launcher/launcher.js';

/** Which embedded DynamoDB runs: Amazon's DynamoDB Local (needs `java`) or dynalite (pure Node). */
export type LocalDynamoEngine = 'java' | 'dynalite';

/** Options of {@link startLocalDynamo}. */
export interface StartLocalDynamoOptions {
  /**
   * Port of the endpoint on 127.0.0.1. Both engines listen on the loopback address only: the database
   * accepts any credentials, so it must not be reachable from the network (DynamoDB Local has no host
   * option; it is started through a launcher that binds it, see dynamodb-launcher/). @default a free port
   */
  readonly port?: number;
  /** Directory the data persists in (created if missing). @default in memory, gone on stop */
  readonly dataDir?: string;
  /**
   * `auto` runs DynamoDB Local when `java` is on the PATH with its compiler module (a JDK: the loopback
   * launcher runs as a source file), dynalite otherwise. @default 'auto'
   */
  readonly engine?: 'auto' | LocalDynamoEngine;
  /** How long to wait for the first successful ListTables. @default 30_000 */
  readonly startTimeoutMs?: number;
  /**
   * DynamoDB Local only: one database for every client (`-sharedDb`), or one per access key and
   * region, as DynamoDB Local runs by default (a user's own, in tests). @default true
   */
  readonly sharedDb?: boolean;
}

/** A running embedded DynamoDB. */
export interface LocalDynamo {
  /** `http://127.0.0.1:<port>` — pass it to {@link createLocalDynamoClient}. */
  readonly endpoint: string;
  /** `external`: an existing DynamoDB named by `AWS_ENDPOINT_URL_DYNAMODB` (see `external-dynamo.ts`). */
  readonly engine: LocalDynamoEngine | 'external';
  /** The java process's id (DynamoDB Local only): what a run measures its memory and CPU by. */
  readonly pid?: number;
  /** Stops the server (kills the java process and waits for it to exit). Safe to call twice. */
  stop(): Promise<void>;
}

interface DynaliteServer {
  listen(port: number, host: string, callback: () => void): unknown;
  close(callback: (error?: Error) => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
}
type Dynalite = (options: Record<string, unknown>) => DynaliteServer;

// dynalite is CommonJS without type declarations; load it through require with a local type.
const requireCjs = createRequire(import.meta.url);

/**
 * Starts an embedded DynamoDB on 127.0.0.1 and resolves once it answers ListTables.
 *
 * @example
 * const dynamo = await startLocalDynamo({ dataDir: '.ferry/dynamodb' });
 * const client = createLocalDynamoClient(dynamo.endpoint);
 * // ...
 * await dynamo.stop();
 */
export async function startLocalDynamo(options: StartLocalDynamoOptions = {}): Promise<LocalDynamo> {
  const engine = options.engine === undefined || options.engine === 'auto' ? detectEngine() : options.engine;
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const endpoint = `http://127.0.0.1:${port}`;
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  return engine === 'java'
    ? startJava(endpoint, port, dataDir, timeoutMs, options.sharedDb ?? true)
    : startDynalite(endpoint, port, dataDir, timeoutMs);
}

/**
 * A DynamoDB client for a local endpoint: region us-east-1 and static dummy credentials, so the SDK
 * never walks the credential chain (no IMDS timeouts, no profile files).
 */
export function createLocalDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient(localClientConfig(endpoint));
}

/**
 * Sockets one local client may open. In AWS every Lambda invocation has its own client and connection;
 * here one process stands in for all of them, and the SDK's default of 50 queued every request behind 50
 * slow ones once a few hundred instances ran (the scale run: "socket usage at capacity=50 and 103
 * additional requests are enqueued"). DynamoDB Local's Jetty serves up to 200 requests at once.
 */
export const LOCAL_DYNAMO_MAX_SOCKETS = 200;

function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: { httpAgent: { keepAlive: true, maxSockets: LOCAL_DYNAMO_MAX_SOCKETS } },
  };
}

let javaAvailable: boolean | undefined;

/** Java only where the loopback launcher can run (a JDK): DynamoDB Local is never started unbound. */
function detectEngine(): LocalDynamoEngine {
  javaAvailable ??= canRunLauncher();
  return javaAvailable ? 'java' : 'dynalite';
}

async function startJava(
  endpoint: string,
  port: number,
  dataDir: string | undefined,
  timeoutMs: number,
  sharedDb: boolean,
): Promise<LocalDynamo> {
  const child = spawnLoopbackDynamoDbLocal(port, dataDir, { sharedDb });
  trackChild(child);
  // DynamoDB Local logs to stdout and stderr; keep the tail of both for the error message.
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // Stops the readiness poll as soon as the process dies, so a failed start fails at once.
  const polling = new AbortController();
  const exited = new Promise<never>((_, reject) => {
    const fail = (reason: string) => {
      polling.abort();
      reject(new LocalSetupError(`DynamoDB Local ${reason} before it was ready on ${endpoint}.\n${output}`));
    };
    child.once('error', (error) => fail(`could not start (${error.message})`));
    // 'close', not 'exit': by then stdout/stderr are drained and the message has the whole story.
    child.once('close', (code, signal) => fail(`exited (code ${code}, signal ${signal})`));
  });
  exited.catch(() => {}); // an exit after start is what stop() is for
  const stop = () => stopChild(child);
  try {
    await Promise.race([waitUntilReady(endpoint, timeoutMs, polling.signal, () => output), exited]);
  } catch (error) {
    polling.abort();
    await stop();
    throw error;
  }
  return { endpoint, engine: 'java', pid: child.pid, stop };
}

async function startDynalite(
  endpoint: string,
  port: number,
  dataDir: string | undefined,
  timeoutMs: number,
): Promise<LocalDynamo> {
  const dynalite = requireCjs('dynalite') as Dynalite;
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dataDir === undefined ? {} : { path: dataDir }),
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, '127.0.0.1', resolveListen);
  });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= new Promise<void>((resolveClose, rejectClose) =>
      server.close((error) => (error ? rejectClose(error) : resolveClose())),
    );
    return stopped;
  };
  try {
    await waitUntilReady(endpoint, timeoutMs, new AbortController().signal, () => '');
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, engine: 'dynalite', stop };
}

async function waitUntilReady(
  endpoint: string,
  timeoutMs: number,
  signal: AbortSignal,
  output: () => string,
): Promise<void> {
  const client = new DynamoDBClient({
    ...localClientConfig(endpoint),
    maxAttempts: 1,
    // Without throwOnRequestTimeout the SDK only warns, and a port that accepts but never answers
    // would hang the poll.
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  try {
    while (Date.now() < deadline && !signal.aborted) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: signal });
        return;
      } catch (error) {
        lastError = error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.destroy();
  }
  throw new LocalSetupError(`DynamoDB on ${endpoint} was not ready after ${timeoutMs} ms.\n${output()}`, {
    cause: lastError,
  });
}

// Every live java child, so that none outlives this process: 'exit' covers a normal exit and
// process.exit(); SIGINT/SIGTERM/SIGHUP are handled only while a child lives, and re-raised when
// nobody else listens so the default behaviour (terminate) is kept.
const children = new Set<ChildProcess>();
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killChildren();
  removeHooks();
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function removeHooks(): void {
  process.off('exit', killChildren);
  for (const signal of signals) process.off(signal, onSignal);
}

function trackChild(child: ChildProcess): void {
  if (children.size === 0) {
    process.on('exit', killChildren);
    for (const signal of signals) process.on(signal, onSignal);
  }
  children.add(child);
  const forget = () => {
    children.delete(child);
    if (children.size === 0) removeHooks();
  };
  child.once('exit', forget);
  child.once('error', () => {
    if (child.pid === undefined) forget();
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  // No pid: the spawn itself failed, there is nothing to kill.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exit = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exit;
  clearTimeout(timer);
}
