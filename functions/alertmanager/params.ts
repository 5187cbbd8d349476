// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';
import { httpUrlSchema } from '../../shared/config/http-url.js';

/**
 * One Alertmanager matcher, as `amtool` and the API's `filter` take it: a label name, an operator
 * (`=`, `!=`, `=~`, `!~`) and a value, quoted or not. Checked here so a typo fails at configuration
 * time with the parameter's name rather than as a 400 at fetch time.
 */
const MATCHER =
  /^\s*(?:[A-Za-z_:][A-Za-z0-9_:]*|"(?:[^"\\]|\\.)+")\s*(?:=~|!~|!=|=)\s*(?:"(?:[^"\\]|\\.)*"|[^"\s{},]*)\s*$/;

const matcher = z
  .string()
  .regex(MATCHER, 'must be one matcher such as severity="critical", team!="infra" or alertname=~"Disk.*"');

/** The Alertmanager connector's own parameters; defaults live here, like an integration's yml. */
export const alertmanagerParams = z
  .object({
    /** Alertmanager's base URL, with the route prefix if it runs with `--web.route-prefix`. */
    url: httpUrlSchema(
      'must be the Alertmanager base URL, such as "http://alertmanager:9093" (http(s) only)',
    ),
    /** Matchers every fetched alert must satisfy (ANDed); one string is taken as a list of one. */
    filter: z
      .union([matcher, z.array(matcher)])
      .default([])
      .transform((value) => (typeof value === 'string' ? [value] : value)),
    /** Only alerts routed to receivers matching this regular expression. */
    receiver: z.string().min(1).optional(),
    /** Fetch alerts that fire and are neither silenced nor inhibited. @default true */
    active: z.boolean().default(true),
    /** Fetch silenced alerts too. @default false */
    silenced: z.boolean().default(false),
    /** Fetch inhibited alerts too. @default false */
    inhibited: z.boolean().default(false),
    /** Fetch alerts Alertmanager has received but not yet routed (usually for milliseconds). @default false */
    unprocessed: z.boolean().default(false),
    /**
     * Minutes a fetched episode is remembered after it stops being listed: a restarted Alertmanager
     * (alerts live in its memory) lists nothing until Prometheus re-sends them, with the same startsAt.
     * @default 10
     */
    forgetAfterMinutes: z
      .number({ message: 'must be a number of minutes' })
      .int('must be a whole number of minutes')
      .min(1, 'must be at least 1 minute')
      .max(1440, 'must be at most 1440 minutes (one day)')
      .default(10),
  })
  .strict();

export type AlertmanagerParams = z.infer<typeof alertmanagerParams>;
