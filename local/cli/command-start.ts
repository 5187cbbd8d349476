import { createLogger } from '../../shared/logger.js';
import { startLocalSystem } from '../system.js';
import { color, formatFetchLine } from './format.js';

export interface StartOptions {
  readonly configPath: string;
  readonly dataDir: string;
  /** Other ports than the defaults (8787, 8788, 8790): a second system, or a busy port. */
  readonly ingestPort?: number;
  readonly demoPort?: number;
  readonly dashboardPort?: number;
}

/** `ferry start`: the whole system in the foreground until Ctrl-C. */
export const commandStart = async (options: StartOptions): Promise<number> => {
  const paths = { configPath: options.configPath, dataDir: options.dataDir };
  console.log(color.bold('Ferry — starting the local system…'));
  const system = await startLocalSystem({
    ...options,
    logger: createLogger({ level: (process.env.LOG_LEVEL as 'WARN' | undefined) ?? 'ERROR' }),
    onFetch: (outcome) => console.log(formatFetchLine(outcome)),
    dashboard: true,
  });
  console.log(
    [
      `  DynamoDB            ${system.dynamo.endpoint} (${system.dynamo.engine}, data in ${paths.dataDir})`,
      system.dashboard ? color.bold(`  dashboard           ${system.dashboard.url}`) : undefined,
      `  ingestion endpoint  ${system.ingest.url}/incidents`,
      system.demo ? `  demo alert source   ${system.demo.url}/alerts` : undefined,
      `  config              ${system.runtime.configPath}`,
      ...system.configErrors.map((error) => color.red(`  not scheduled: ${error.message}`)),
      '',
      color.dim(
        `Incidents arriving: curl -H 'authorization: Bearer ${process.env.FERRY_INGEST_TOKEN === 'ferry-local-token' ? 'ferry-local-token' : '$FERRY_INGEST_TOKEN'}' '${system.ingest.url}/incidents?instance=demo'`,
      ),
      color.dim('Ctrl-C stops; the next start resumes from the last run.'),
      '',
    ]
      .filter((line) => line !== undefined)
      .join('\n'),
  );
  await new Promise<void>((resolve) => {
    const shutdown = () => resolve();
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  console.log('\nStopping…');
  await system.stop();
  return 0;
};
