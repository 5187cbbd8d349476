import type { InstanceDocument, SecretRef } from '../shared/config/schema.js';
import { sinkSecretRefs } from '../shared/sinks/sink-secrets.js';

/** Every secret reference of an instance document, by field (`secrets.apiKey`, `sink.token`). */
export const secretReferences = (document: InstanceDocument): [field: string, ref: SecretRef][] => [
  ...Object.entries(document.secrets).map(([key, ref]): [string, SecretRef] => [`secrets.${key}`, ref]),
  ...Object.entries(sinkSecretRefs(document.sink)).map(([key, ref]): [string, SecretRef] => [
    `sink.${key}`,
    ref,
  ]),
];

/**
 * The parameter a `{"ssm": ...}` reference reads. GetParameter also takes `name:version` or
 * `name:label`; IAM authorizes the parameter itself, so the selector is dropped. An ARN (a parameter
 * shared from another account) is kept whole.
 */
export const parameterNameOf = (reference: string): string =>
  reference.startsWith('arn:') ? reference : (reference.split(':')[0] ?? reference);

/** The SecureString parameters an instance's function must read and decrypt, sorted and unique. */
export const secureStringNames = (document: InstanceDocument): string[] =>
  [
    ...new Set(
      secretReferences(document).flatMap(([, ref]) => ('ssm' in ref ? [parameterNameOf(ref.ssm)] : [])),
    ),
  ].sort();

/**
 * Warnings for references a Lambda function cannot resolve: `{"env": ...}` names a variable of the
 * machine that runs `ferry start`, not of the function.
 */
export const unresolvableInAws = (document: InstanceDocument, source: string): string[] =>
  secretReferences(document).flatMap(([field, ref]) =>
    'env' in ref
      ? [
          `${source}: instance "${document.id}": ${field} refers to the environment variable ${ref.env}, which ` +
            'the Lambda function does not have, so its fetches will fail with SECRET_MISSING. Put the value in ' +
            `SSM (aws ssm put-parameter --type SecureString --name "/ferry/secrets/${document.id}/${field.split('.').pop()}" ` +
            `--value '<secret>') and reference it as {"ssm": "<that name>"}.`,
        ]
      : [],
  );

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '[::1]' || host === '0.0.0.0' || host.startsWith('127.');

/** Warnings for URLs that point at the machine itself: in AWS that is the Lambda, never the tool. */
export const loopbackUrls = (document: InstanceDocument, source: string): string[] => {
  const candidates: [string, unknown][] = [
    ...Object.entries(document.params).map(([key, value]): [string, unknown] => [`params.${key}`, value]),
    ['sink.url', 'url' in document.sink ? document.sink.url : undefined],
  ];
  return candidates.flatMap(([field, value]) => {
    if (typeof value !== 'string' || !URL.canParse(value)) return [];
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && isLoopback(url.hostname)
      ? [
          `${source}: instance "${document.id}": ${field} is ${value}, a loopback address; in AWS it points at ` +
            'the Lambda function itself. Use the address the tool has on the internet or in your VPC.',
        ]
      : [];
  });
};
