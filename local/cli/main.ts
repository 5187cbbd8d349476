import { parseArgs } from 'node:util';
import { errorMessage, isFerryError } from '../../shared/errors.js';
import { redact } from '../../shared/redact.js';
import { commandLastRun } from './command-last-run.js';
import { commandStart } from './command-start.js';
import { openEnvironment } from './environment.js';
import { color, formatHistory } from './format.js';

const usage = `Usage: ferry <command> [options]

Commands:
  start                          run Ferry locally: DynamoDB, scheduler, ingestion endpoint, demo source
  fetch <instance> [--debug]     one fetch; --debug prints the incidents and pushes/commits nothing
  test <instance>                validate the parameters and test the connection (exit 0 or 1)
  history <instance> [--limit N] the fetch history, newest first
  last-run <instance> [--reset | --set <json>]
                                 show, reset or set the last run (recorded in the history)

Options:
  --config <file>    the config file (default ferry.config.json)
  --data-dir <dir>   where local state lives (default .ferry)
  --json             machine-readable output
  -h, --help         this help`;

const main = async (argv: string[]): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', default: 'ferry.config.json' },
      'data-dir': { type: 'string', default: '.ferry' },
      debug: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      limit: { type: 'string', default: '20' },
      reset: { type: 'boolean', default: false },
      set: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, instanceId] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return command || values.help ? 0 : 1;
  }
  const paths = { configPath: values.config, dataDir: values['data-dir'] };
  if (command === 'start') return commandStart(paths);
  if (!['fetch', 'test', 'history', 'last-run'].includes(command)) {
    console.error(`Unknown command "${command}".\n\n${usage}`);
    return 1;
  }
  if (!instanceId) {
    console.error(`"ferry ${command}" needs an instance id: ferry ${command} <instance>`);
    return 1;
  }
  const env = await openEnvironment(paths);
  try {
    // Validate the id against the config first: a typo gets the list of instances, not an empty answer.
    await env.instances.getInstance(instanceId);
    switch (command) {
      case 'fetch': {
        const outcome = await env.invoke(instanceId, values.debug ? 'debug' : 'fetch');
        if (!('status' in outcome)) return 1;
        if (values.debug) {
          console.log(JSON.stringify(redact(outcome.incidents ?? []), null, 2));
          console.error(
            color.dim(
              `${outcome.incidents?.length ?? 0} incidents; nothing pushed, nothing committed (debug).`,
            ),
          );
        } else if (values.json) {
          console.log(JSON.stringify(outcome, null, 2));
        } else {
          console.log(
            `${outcome.status}: pulled ${outcome.pulled}, pushed ${outcome.pushed}, dropped ${outcome.dropped} in ${outcome.durationMs}ms`,
          );
        }
        if (outcome.error) console.error(color.red(`${outcome.error.code}: ${outcome.error.message}`));
        return outcome.status === 'ok' ? 0 : 1;
      }
      case 'test': {
        const outcome = await env.invoke(instanceId, 'test');
        if ('ok' in outcome && outcome.ok) {
          console.log(color.green('ok'));
          return 0;
        }
        const error = 'error' in outcome ? outcome.error : undefined;
        console.log(color.red(`failed: ${error?.message ?? 'unknown error'}`));
        return 1;
      }
      case 'history': {
        const records = await env.store.listHistory(instanceId, { limit: Number(values.limit) || 20 });
        console.log(values.json ? JSON.stringify(records, null, 2) : formatHistory(records));
        return 0;
      }
      default:
        return await commandLastRun(env, instanceId, {
          reset: values.reset,
          set: values.set,
          json: values.json,
        });
    }
  } finally {
    await env.close();
  }
};

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(
      color.red(
        isFerryError(error)
          ? errorMessage(redact(error))
          : `Unexpected error: ${errorMessage(redact(error))}`,
      ),
    );
    process.exitCode = 1;
  },
);
