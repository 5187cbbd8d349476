import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../paths.js';
import type { ServerCall, ServerCalls, ServerReply, ServersReady } from './protocol.js';

/** The demo source and the ack sink, running in their own process. */
export interface BenchServers {
  readonly sourceUrl: string;
  readonly sinkUrl: string;
  readonly pid: number;
  call<C extends ServerCall>(call: C, args: ServerCalls[C]['args']): Promise<ServerCalls[C]['result']>;
  stop(): Promise<void>;
}

const entry = fileURLToPath(new URL('./servers-process.ts', import.meta.url));

/** Forks the servers process (TypeScript through tsx) and waits until both servers listen. */
export const startBenchServers = async (): Promise<BenchServers> => {
  const child: ChildProcess = fork(entry, [], {
    cwd: projectRoot,
    execArgv: ['--import', 'tsx', '--no-warnings'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      const error = new Error(`The benchmark servers process exited (code ${code}, signal ${signal}).`);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
      reject(error);
    });
  });
  exited.catch(() => undefined);
  const ready = new Promise<ServersReady['ready']>((resolve) => {
    child.on('message', (message: ServerReply | ServersReady) => {
      if ('ready' in message) return resolve(message.ready);
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if ('error' in message) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result);
    });
  });
  const { sourceUrl, sinkUrl } = await Promise.race([ready, exited]);
  let stopping: Promise<void> | undefined;
  return {
    sourceUrl,
    sinkUrl,
    pid: child.pid!,
    call(call, args) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, call, args });
      });
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      });
      return stopping;
    },
  };
};
