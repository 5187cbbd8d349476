// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';
import { awsLocationParams } from '../../shared/aws-params.js';
import { filterAttributes, filterMembers } from './filter-attributes.js';

/** The finding timestamps a fetch can follow. */
export const timeFields = ['CreatedAt', 'UpdatedAt'] as const;

// GetFindings: "You can filter by up to 10 finding attributes. For each attribute, you can provide up to
// 20 filter values." The window takes one attribute, the time field.
const MAX_OWN_ATTRIBUTES = 9;
const MAX_VALUES = 20;

const filterList = z
  .array(
    z.record(
      z.enum(filterMembers, { message: `must be a filter member: ${filterMembers.join(', ')}` }),
      z.unknown(),
    ),
    { message: 'must be a list of filters such as [{"Value": "ACTIVE", "Comparison": "EQUALS"}]' },
  )
  .min(1, 'must hold at least one filter')
  .max(MAX_VALUES, `may hold at most ${MAX_VALUES} filters per attribute (a Security Hub limit)`);

/** The Security Hub connector's own parameters; defaults live here, like an integration's yml. */
export const securityHubParams = z
  .object({
    ...awsLocationParams,
    /**
     * Which timestamp the window follows. `CreatedAt`: each finding once, when its provider created it
     * (XSOAR's AWS Security Hub integration does this). `UpdatedAt`: also findings that a provider
     * updated into the window, such as controls re-evaluated daily (many re-reads; the endpoint drops
     * them as duplicates of the same finding Id). @default 'CreatedAt'
     */
    time_field: z.enum(timeFields, { message: 'must be "CreatedAt" or "UpdatedAt"' }).default('CreatedAt'),
    /**
     * More GetFindings filters, in the API's own shape (AwsSecurityFindingFilters), ANDed with the
     * window: `{"RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}`. @default {}
     */
    filters: z
      .partialRecord(
        z.enum(filterAttributes, {
          message: 'must be a GetFindings filter attribute such as "SeverityLabel" or "RecordState"',
        }),
        filterList,
      )
      .default({})
      .refine((filters) => Object.keys(filters).length <= MAX_OWN_ATTRIBUTES, {
        message: `may filter on at most ${MAX_OWN_ATTRIBUTES} attributes (Security Hub takes 10, the window uses one)`,
      }),
    /** Findings per GetFindings request (MaxResults), 1–100. @default 100 */
    page_size: z.number().int().min(1).max(100, 'must be at most 100 (GetFindings MaxResults)').default(100),
  })
  .strict()
  .refine((params) => !Object.hasOwn(params.filters, params.time_field), {
    message: 'must not filter on the time_field itself: the window sets it',
    path: ['filters'],
  });

export type SecurityHubParams = z.infer<typeof securityHubParams>;
