import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connectors } from '../../functions/connectors.js';
import { loadConfigFile } from '../../shared/config/load-config-file.js';
import { ConfigError, errorMessage, isFerryError } from '../../shared/errors.js';
import { redact } from '../../shared/redact.js';
import { openAwsEnvironment } from './aws-environment.js';
import { commandLastRun } from './command-last-run.js';
import { commandReplay } from './command-replay.js';
import { commandStart } from './command-start.js';
import { commandStatus } from './command-status.js';
import { openEnvironment } from './environment.js';
import { color, formatHistory } from './format.js';

// The SDK's notice that its 2027 releases need Node 22 is for maintainers, not for every CLI run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const usage = `Usage: ferry <command> [options]

Commands:
  start                          run Ferry locally: DynamoDB, scheduler, ingestion endpoint, demo source
  fetch <instance> [--debug]     one fetch; --debug prints the incidents and pushes/commits nothing
  test <instance>                validate the parameters and test the connection (exit 0 or 1)
  history <instance> [--limit N] the fetch history, newest first
  last-run <instance> [--reset | --set <json>]
                                 show, reset or set the last run (recorded in the history)
  status                         every instance's health (exit 1 when one is failing, lagging or silent)
  replay <instance> --from <time> --to <time> | --resume <id>
                                 fetch a past window again into the sink; the live last run is untouched

Options:
  --config <file>    the config file (default ferry.config.json)
  --data-dir <dir>   where local state lives (default .ferry)
  --json             machine-readable output
  --aws              against the deployed stack (default credentials and region): history, last-run,
                     status, test, fetch --debug, replay. Names come from FERRY_STATE_TABLE and
                     FERRY_FUNCTION_<CONNECTOR>, else from the stack's outputs
  --stack <name>     the stack --aws reads (default Ferry)
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
      aws: { type: 'boolean', default: false },
      stack: { type: 'string', default: 'Ferry' },
      from: { type: 'string' },
      to: { type: 'string' },
      resume: { type: 'string' },
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
  const open = () => (values.aws ? openAwsEnvironment({ stack: values.stack }) : openEnvironment(paths));
  if (command === 'status') {
    const env = await open();
    return commandStatus(env, { json: values.json }).finally(() => env.close());
  }
  if (!['fetch', 'test', 'history', 'last-run', 'replay'].includes(command)) {
    console.error(`Unknown command "${command}".\n\n${usage}`);
    return 1;
  }
  if (!instanceId) {
    console.error(`"ferry ${command}" needs an instance id: ferry ${command} <instance>`);
    return 1;
  }
  // Before anything starts: a typo gets the list of instances at once, not an empty answer. History and
  // last run stay reachable for an instance whose configuration is currently invalid (to repair it).
  // With --aws, SSM is the truth: the deployed function reports an unknown instance itself.
  if (!values.aws) {
    const config = await loadConfigFile(resolve(paths.configPath), { connectors });
    if (!Object.hasOwn(config.file.instances, instanceId)) {
      throw new ConfigError(
        `Instance "${instanceId}" is not in ${resolve(paths.configPath)}. Known instances: ${Object.keys(config.file.instances).join(', ') || 'none'}.`,
        instanceId,
        'id',
      );
    }
    const invalid = config.errors.find((error) => error.instanceId === instanceId);
    if (invalid && (command === 'fetch' || command === 'test' || command === 'replay')) throw invalid;
  }
  const env = await open();
  try {
    switch (command) {
      case 'fetch': {
        const outcome = await env.invoke(instanceId, values.debug ? 'debug' : 'fetch');
        if (outcome.kind !== 'fetch') return 1;
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
        if (outcome.kind === 'test' && outcome.ok) {
          console.log(color.green('ok'));
          return 0;
        }
        const error = outcome.error;
        console.log(color.red(`failed: ${error?.message ?? 'unknown error'}`));
        return 1;
      }
      case 'history': {
        const records = await env.store.listHistory(instanceId, { limit: Number(values.limit) || 20 });
        console.log(values.json ? JSON.stringify(records, null, 2) : formatHistory(records));
        return 0;
      }
      case 'replay':
        return await commandReplay(env, instanceId, {
          from: values.from,
          to: values.to,
          resume: values.resume,
          json: values.json,
        });
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
