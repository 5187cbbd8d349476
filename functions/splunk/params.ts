// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';

const fieldName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.:-]*$/, 'must be a Splunk field name such as "event_id"');

// Not "." or "..": in a URL path they would climb out of the namespace.
const namespaceName = (example: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_.@-]+$/, `must be a Splunk ${example}`)
    .refine((name) => !/^\.+$/.test(name), `must be a Splunk ${example}`);

/** The Splunk connector's own parameters; defaults suit Splunk ES notable events. */
const splunkObject = z
  .object({
    /** splunkd's management URL (port 8089 by default), not Splunk Web's. */
    url: z.url({
      message: 'must be the management URL of splunkd, such as "https://splunk.example.com:8089"',
    }),
    /**
     * The SPL the job runs over the window; a search that does not start with a command gets
     * `search ` in front, as Splunk Web does. The connector appends `| sort 0 +_time | head <n>`, so the
     * results must keep `_time` (event searches and `notable` do).
     */
    search: z.string().trim().min(1, 'must be an SPL search such as "search `notable`"').optional(),
    /**
     * Instead of `search`: the name of a saved search (a report or correlation search) to dispatch over
     * each window (`saved/searches/{name}/dispatch` with `dispatch.earliest_time`/`latest_time` bound to
     * it), in the `app`/`owner` namespace; its alert actions are not triggered. Its results need `_time`.
     */
    saved_search: z.string().trim().min(1, 'must be the name of a saved search').optional(),
    /** Run in this app's namespace (`/servicesNS/<owner>/<app>/`), for its macros, lookups and saved searches. @default - /services/ */
    app: namespaceName('app folder name such as "SplunkEnterpriseSecuritySuite"').optional(),
    /** The namespace's user with `app`: "nobody" reaches what the app shares, a user name that user's private objects. @default 'nobody' */
    owner: namespaceName('user name such as "admin", or "nobody"').optional(),
    /**
     * A saved search's job stops at this many results (`dispatch.max_count`, 500 in savedsearches.conf
     * unless set); a window that reaches it fails instead of losing events. @default 50000
     */
    max_results: z.number().int().min(1).max(1_000_000).default(50_000),
    /** `Authorization: Bearer <token>` for an authentication token, `Splunk <token>` for a session key. @default 'Bearer' */
    auth_scheme: z.enum(['Bearer', 'Splunk'], { message: 'must be "Bearer" or "Splunk"' }).default('Bearer'),
    /** The result field that identifies an event (the incident's dbotMirrorId). @default 'event_id' (notables) */
    id_field: fieldName.default('event_id'),
    /** Result fields tried in order for the incident's name. @default rule_title, rule_name, search_name */
    name_fields: z.array(fieldName).min(1).default(['rule_title', 'rule_name', 'search_name']),
    /** The field holding a severity word (informational, low, medium, high, critical). @default 'urgency' */
    severity_field: fieldName.default('urgency'),
    /** The field for the incident's details. @default 'rule_description' */
    details_field: fieldName.default('rule_description'),
    /** Fields copied into the incident's labels. @default src, dest, user, security_domain, status_label, owner */
    label_fields: z
      .array(fieldName)
      .default(['src', 'dest', 'user', 'security_domain', 'status_label', 'owner']),
    /** Results per `/results` request (`count`). @default 500 */
    page_size: z.number().int().min(1).max(50_000, 'must be at most 50000 (maxresultrows)').default(500),
    /** Seconds between two polls of the job. @default 1 */
    poll_interval_seconds: z.number().min(0.05).max(60).default(1),
    /** Seconds a job may take before it is cancelled and the fetch fails (retried next time). @default 120 */
    job_timeout_seconds: z
      .number()
      .int()
      .min(1)
      .max(840, 'must be at most 840 (a Lambda runs 15 minutes)')
      .default(120),
  })
  .strict();

/** The parameters, with the checks that span fields: one search, and an owner only with its app. */
export const splunkParams = splunkObject.superRefine((params, ctx) => {
  if ((params.search === undefined) === (params.saved_search === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [params.search === undefined ? 'search' : 'saved_search'],
      message:
        params.search === undefined
          ? 'is required: an SPL search such as "search `notable`", or "saved_search" with a saved search\'s name'
          : 'cannot be set with "search": choose the SPL search or the saved search',
    });
  }
  if (params.owner !== undefined && params.app === undefined) {
    ctx.addIssue({ code: 'custom', path: ['owner'], message: 'is used only with "app": set the app too' });
  }
});

export type SplunkParams = z.infer<typeof splunkParams>;
