// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';
import { awsLocationParams } from '../../shared/aws-params.js';

/**
 * The members of a ListFindings Condition (API_Condition), as the SDK, boto3 and the AWS CLI spell them.
 * The SDK serialises only the members it knows: a misspelt one would be dropped silently and the fetch
 * would read everything, so they are checked here.
 */
const conditionMembers = [
  'Equals',
  'NotEquals',
  'GreaterThan',
  'GreaterThanOrEqual',
  'LessThan',
  'LessThanOrEqual',
  'Matches',
  'NotMatches',
  'Eq',
  'Neq',
  'Gt',
  'Gte',
  'Lt',
  'Lte',
] as const;

/** The GuardDuty connector's own parameters; defaults live here, like an integration's yml. */
export const guardDutyParams = z
  .object({
    ...awsLocationParams,
    /** The detector whose findings are read (`aws guardduty list-detectors`); the CDK grants exactly it. */
    detector_id: z
      .string({ message: 'is required: the detector id, from "aws guardduty list-detectors"' })
      .regex(
        /^[a-z0-9]{32}$/,
        'must be a detector id: 32 lowercase letters and digits, from "aws guardduty list-detectors"',
      ),
    /**
     * More ListFindings criteria, in the API's own shape (FindingCriteria.criterion), ANDed with the
     * window, with the SDK's member names: `{"severity": {"GreaterThanOrEqual": 7}}`. @default {}
     */
    criteria: z
      .record(
        z.string().min(1),
        z.partialRecord(
          z.enum(conditionMembers, { message: `must be a Condition member: ${conditionMembers.join(', ')}` }),
          z.union([z.number(), z.array(z.string())]),
          { message: 'must be a Condition such as {"Equals": ["Recon:EC2/PortProbeUnprotectedPort"]}' },
        ),
      )
      .default({})
      .refine((criteria) => !Object.hasOwn(criteria, 'updatedAt'), {
        message: 'must not hold "updatedAt": the window sets it',
      }),
    /**
     * Fetch archived findings too. Off by default: suppression rules archive what the SOC chose not to
     * see. @default false
     */
    include_archived: z.boolean().default(false),
    /** Finding ids per ListFindings page and per GetFindings call, 1–50. @default 50 */
    page_size: z
      .number()
      .int()
      .min(1)
      .max(50, 'must be at most 50 (ListFindings maxResults, GetFindings ids)')
      .default(50),
  })
  .strict();

export type GuardDutyParams = z.infer<typeof guardDutyParams>;
