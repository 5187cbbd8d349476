import { ConfigError } from '../../shared/errors.js';

/**
 * The help text. Its own module with no heavy import, so `ferry --help` and a mistyped command answer
 * at once instead of loading the AWS SDK and every connector first.
 */
export const usage = `Usage: ferry <command> [options]

Commands:
  start                          run Ferry locally: DynamoDB, scheduler, ingestion endpoint, demo source,
                                 dashboard on http://127.0.0.1:8790
  fetch <instance> [--debug]     one fetch; --debug prints the incidents and pushes/commits nothing
  test <instance>                validate the parameters and test the connection (exit 0 or 1)
  history <instance> [--limit N] the fetch history, newest first (N from 1 to 1000, default 20)
  last-run <instance> [--reset | --set <json>]
                                 show, reset or set the last run (checked first; recorded in the history)
  status                         every instance's health (exit 1 when one is failing, lagging or silent)
  replay <instance> --from <time> --to <time> | --resume <id>
                                 fetch a past window again into the sink; the live last run is untouched
  quarantine <instance> [--export | --redrive [id...] | --discard <id>]
                                 events that could not become incidents: list, export as JSON, re-drive
                                 (once the connector or its mapping is fixed) or discard

Options:
  --config <file>    the config file (default ferry.config.json)
  --data-dir <dir>   where local state lives (default .ferry)
  --json             machine-readable output
  --aws              against the deployed stack (default credentials and region): history, last-run,
                     status, test, fetch --debug, replay, quarantine. Names come from FERRY_STATE_TABLE and
                     FERRY_FUNCTION_<CONNECTOR>, else from the stack's outputs
  --stack <name>     the stack --aws reads (default Ferry)
  --ingest-port <n>, --demo-port <n>, --dashboard-port <n>
                     start: other ports than 8787, 8788 and 8790 (0 picks a free one)
  -h, --help         this help

Exit codes: 0 done, 1 failed (the message says why), 2 the command line is wrong.
More: docs/cli.md`;

/** The command line itself is wrong: the message names what, and the usage follows it (exit 2). */
export class UsageError extends ConfigError {
  override name = 'UsageError';
}
