import { ConfigError } from '../shared/errors.js';

/**
 * IAM caps the inline policies of one role at 10,240 characters in all, whitespace not counted ("IAM and
 * AWS STS quotas", IAM User Guide: "Role policy size"); a managed policy at 6,144. A connector function's
 * role holds its state-table, document, event-bus and source grants beside the secrets, so the secrets
 * get this share of it.
 */
export const secretGrantBudgetChars = 5_000;

/**
 * What one grant costs in the policy: the ARN (`arn:aws:ssm:<region>:<account>:parameter` is at most about
 * 60 characters with the longest Region names), the name, quotes and a comma.
 */
const grantChars = (name: string): number => 63 + name.length;

const segmentsOf = (name: string): string[] => name.replace(/^\//, '').split('/');
const folderOf = (segments: readonly string[], depth: number): string =>
  `/${segments.slice(0, depth).join('/')}`;

export interface SecretGrantsInput {
  /** The connector, for messages. */
  readonly connector: string;
  /** The SecureString names its instances reference. */
  readonly own: readonly string[];
  /** Every other parameter name the stack knows of: other connectors' secrets, the ingestion token. */
  readonly foreign: readonly string[];
  /** The instance documents' prefix: a folder holding it is never granted whole. */
  readonly instancePrefix: string;
}

/** Exact parameter names, and folders granted whole (`<folder>/*`). */
export interface SecretGrants {
  readonly names: readonly string[];
  readonly folders: readonly string[];
}

/**
 * The SecureStrings a connector function may read, as few grants as fit its policy. While the exact names
 * fit {@link secretGrantBudgetChars} (a few dozen instances), each is granted by name. Past that, names
 * are granted by folder, the deepest level of folders that fits the budget: a folder (at least two levels, `/a/b`) is granted
 * whole only when no other connector's secret, no ingestion token and not the instance documents lie
 * under it, so the function still reads nothing the stack gives another function. With the secrets laid
 * out per connector (`/ferry/secrets/<connector>/<instance>/<field>`), 10,000 instances are one grant.
 * When even that does not fit (a connector's secrets mixed with another's in the same folders), synth
 * fails and says how to lay them out.
 */
export const secretGrantsFor = (input: SecretGrantsInput): SecretGrants => {
  const own = [...new Set(input.own)].sort();
  const cost = (grants: SecretGrants) =>
    grants.names.reduce((sum, name) => sum + grantChars(name), 0) +
    grants.folders.reduce((sum, folder) => sum + grantChars(`${folder}/*`), 0);
  const exact = { names: own, folders: [] };
  if (cost(exact) <= secretGrantBudgetChars) return exact;

  // Every folder that holds something not this connector's: granting it would reach that too.
  const taken = new Set<string>();
  for (const name of input.foreign) {
    const segments = segmentsOf(name);
    for (let depth = 1; depth < segments.length; depth++) taken.add(folderOf(segments, depth));
  }
  const documents = segmentsOf(input.instancePrefix.replace(/\/$/, ''));
  for (let depth = 1; depth <= documents.length; depth++) taken.add(folderOf(documents, depth));
  const exclusive = (folder: string) => !taken.has(folder);
  const deepest = Math.max(...own.map((name) => segmentsOf(name).length)) - 1;
  let best: SecretGrants = exact;
  for (let depth = deepest; depth >= 2; depth--) {
    const names = new Set<string>();
    const folders = new Set<string>();
    for (const name of own) {
      const segments = segmentsOf(name);
      let granted: string | undefined;
      // Its shallowest exclusive folder no higher than `depth` covers the name: the deepest depth that
      // fits the budget wins, so grants stay as narrow as the policy allows.
      for (let d = segments.length - 1; d >= Math.max(depth, 2) && !name.startsWith('arn:'); d--) {
        const folder = folderOf(segments, d);
        if (exclusive(folder)) granted = folder;
        else break;
      }
      if (granted) folders.add(granted);
      else names.add(name);
    }
    best = { names: [...names].sort(), folders: [...folders].sort() };
    if (cost(best) <= secretGrantBudgetChars) return best;
  }
  throw new ConfigError(
    `The "${input.connector}" connector's instances reference ${own.length} SecureStrings: granting them by name would take ` +
      `${cost(exact)} characters of its role's policy, and by folder ${cost(best)}, over the ${secretGrantBudgetChars} Ferry allows ` +
      "(IAM's limit is 10,240 for all of a role's inline policies). Keep each connector's secrets in a folder of its own, " +
      `e.g. /ferry/secrets/${input.connector}/<instance>/<field>: the function is then granted that folder, and no other connector's secrets.`,
    undefined,
    'secrets',
  );
};
