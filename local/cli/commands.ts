import { integerOption, type OptionName, type ParsedArguments } from './arguments.js';
import type { OperatorEnvironment } from './operator-environment.js';

/** What a command is run with: the parsed command line and, for an instance command, its id. */
export interface CommandInput {
  readonly instanceId: string;
  /** Arguments after the instance id, for a command that takes them (`quarantine --redrive <id>...`). */
  readonly rest: readonly string[];
  readonly values: ParsedArguments['values'];
  readonly paths: { readonly configPath: string; readonly dataDir: string };
}

/**
 * One CLI command. `run` imports its module when called: `ferry --help` loads none of them, and each
 * command loads only what it uses. `environment`: the command works on an instance's state, locally
 * or with `--aws`; `configured` also needs the instance's configuration to be valid locally.
 */
export interface Command {
  readonly instance: boolean;
  /** Takes arguments after the instance id. @default false */
  readonly moreArguments?: boolean;
  /** Options the command takes besides the global ones (`--config`, `--data-dir`, `--help`). */
  readonly options: readonly OptionName[];
  /** The instance's configuration must be valid (not for commands that repair or inspect it). */
  readonly configured?: boolean;
  /** Checks the option values before anything loads or starts (a UsageError names the wrong one). */
  validate?(values: CommandInput['values']): void;
  run(input: CommandInput, env: () => Promise<OperatorEnvironment>): Promise<number>;
}

const startPort = (values: CommandInput['values'], name: 'ingest-port' | 'demo-port' | 'dashboard-port') => {
  const text = values[name];
  return text === undefined ? undefined : integerOption(name, text, 0, 65_535);
};

const historyLimit = (values: CommandInput['values']) =>
  values.limit === undefined ? 20 : integerOption('limit', values.limit, 1, 1000);

const operator: readonly OptionName[] = ['aws', 'stack', 'json'];

/** Every command by name. New commands (`quarantine`, …) add a row here and a `command-<name>.ts`. */
export const commands: Readonly<Record<string, Command>> = {
  start: {
    instance: false,
    options: ['ingest-port', 'demo-port', 'dashboard-port'],
    validate: (values) => {
      for (const name of ['ingest-port', 'demo-port', 'dashboard-port'] as const) startPort(values, name);
    },
    run: async ({ values, paths }) => {
      const { commandStart } = await import('./command-start.js');
      return commandStart({
        ...paths,
        ingestPort: startPort(values, 'ingest-port'),
        demoPort: startPort(values, 'demo-port'),
        dashboardPort: startPort(values, 'dashboard-port'),
      });
    },
  },
  quarantine: {
    instance: true,
    moreArguments: true,
    options: [...operator, 'export', 'redrive', 'discard'],
    run: async ({ instanceId, values, rest }, env) => {
      const { commandQuarantine } = await import('./command-quarantine.js');
      return withEnvironment(env, (opened) =>
        commandQuarantine(opened, instanceId, {
          export: values.export,
          redrive: values.redrive,
          ids: rest,
          discard: values.discard,
          json: values.json,
        }),
      );
    },
  },
  status: {
    instance: false,
    options: operator,
    run: async ({ values }, env) => {
      const { commandStatus } = await import('./command-status.js');
      return withEnvironment(env, (opened) => commandStatus(opened, { json: values.json }));
    },
  },
  fetch: {
    instance: true,
    configured: true,
    options: [...operator, 'debug'],
    run: async ({ instanceId, values }, env) => {
      const { commandFetch } = await import('./command-fetch.js');
      return withEnvironment(env, (opened) =>
        commandFetch(opened, instanceId, { debug: values.debug, json: values.json }),
      );
    },
  },
  test: {
    instance: true,
    configured: true,
    options: operator,
    run: async ({ instanceId }, env) => {
      const { commandTest } = await import('./command-test.js');
      return withEnvironment(env, (opened) => commandTest(opened, instanceId));
    },
  },
  history: {
    instance: true,
    options: [...operator, 'limit'],
    validate: (values) => historyLimit(values),
    run: async ({ instanceId, values }, env) => {
      const limit = historyLimit(values);
      const { commandHistory } = await import('./command-history.js');
      return withEnvironment(env, (opened) =>
        commandHistory(opened, instanceId, { limit, json: values.json }),
      );
    },
  },
  'last-run': {
    instance: true,
    options: [...operator, 'reset', 'set'],
    run: async ({ instanceId, values }, env) => {
      const { commandLastRun } = await import('./command-last-run.js');
      return withEnvironment(env, (opened) =>
        commandLastRun(opened, instanceId, { reset: values.reset, set: values.set, json: values.json }),
      );
    },
  },
  replay: {
    instance: true,
    configured: true,
    options: [...operator, 'from', 'to', 'resume'],
    run: async ({ instanceId, values }, env) => {
      const { commandReplay } = await import('./command-replay.js');
      return withEnvironment(env, (opened) =>
        commandReplay(opened, instanceId, {
          from: values.from,
          to: values.to,
          resume: values.resume,
          json: values.json,
        }),
      );
    },
  },
};

const withEnvironment = async (
  open: () => Promise<OperatorEnvironment>,
  use: (env: OperatorEnvironment) => Promise<number>,
): Promise<number> => {
  const env = await open();
  try {
    return await use(env);
  } finally {
    await env.close();
  }
};
