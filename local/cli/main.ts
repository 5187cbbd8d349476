import { resolve } from 'node:path';
import { errorMessage, isFerryError } from '../../shared/errors.js';
import { redact } from '../../shared/redact.js';
import { globalOptions, parseArguments } from './arguments.js';
import { type Command, commands } from './commands.js';
import { color } from './format.js';
import type { OperatorEnvironment } from './operator-environment.js';
import { UsageError, usage } from './usage.js';

// The SDK's notice that its 2027 releases need Node 22 is for maintainers, not for every CLI run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The command line fits the command: its instance argument, and only options it takes. */
const checkFits = (name: string, command: Command, positionals: string[], given: string[]) => {
  if (command.instance && positionals.length === 0) {
    throw new UsageError(`"ferry ${name}" needs an instance id: ferry ${name} <instance>`);
  }
  const extra = positionals.slice(command.instance ? 1 : 0);
  if (extra.length > 0 && !command.moreArguments)
    throw new UsageError(`"ferry ${name}" takes no argument "${extra[0]}".`);
  const misplaced = given.find(
    (option) => !globalOptions.includes(option as never) && !command.options.includes(option as never),
  );
  if (misplaced) throw new UsageError(`"ferry ${name}" takes no option --${misplaced}.`);
};

/**
 * Before anything starts: a typo gets the list of instances at once, not an empty answer. History and
 * last run stay reachable for an instance whose configuration is currently invalid (to repair it).
 * With --aws, SSM is the truth: the deployed function reports an unknown instance itself.
 */
const checkInstanceConfigured = async (configPath: string, instanceId: string, mustBeValid: boolean) => {
  const [{ loadConfigFile }, { connectors }, { ConfigError }] = await Promise.all([
    import('../../shared/config/load-config-file.js'),
    import('../../functions/connectors.js'),
    import('../../shared/errors.js'),
  ]);
  const config = await loadConfigFile(resolve(configPath), { connectors });
  if (!Object.hasOwn(config.file.instances, instanceId)) {
    throw new ConfigError(
      `Instance "${instanceId}" is not in ${resolve(configPath)}. Known instances: ${Object.keys(config.file.instances).join(', ') || 'none'}.`,
      instanceId,
      'id',
    );
  }
  const invalid = config.errors.find((error) => error.instanceId === instanceId);
  if (invalid && mustBeValid) throw invalid;
};

const main = async (argv: string[]): Promise<number> => {
  const { command: name, positionals, values, given } = parseArguments(argv);
  if (values.help || !name) {
    console.log(usage);
    return name || values.help ? 0 : 2;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) throw new UsageError(`Unknown command "${name}".`);
  checkFits(name, command, positionals, given);
  command.validate?.(values);
  const paths = { configPath: values.config, dataDir: values['data-dir'] };
  const instanceId = positionals[0] ?? '';
  if (command.instance && !values.aws) {
    await checkInstanceConfigured(paths.configPath, instanceId, command.configured === true);
  }
  const open = async (): Promise<OperatorEnvironment> => {
    if (values.aws) return (await import('./aws-environment.js')).openAwsEnvironment({ stack: values.stack });
    return (await import('./environment.js')).openEnvironment(paths);
  };
  return command.run({ instanceId, rest: positionals.slice(1), values, paths }, open);
};

// Each failure is printed once, as text: the commands log nothing unless LOG_LEVEL asks for it.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${color.red(error.message)}\n\n${usage}`);
      process.exitCode = 2;
      return;
    }
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
