import { AwsServiceError, localAccountId, localRegion, type RecordedCall } from './protocol.js';

/** The parameter types of SSM Parameter Store. */
export type SsmParameterType = 'String' | 'StringList' | 'SecureString';

/** A stored parameter, as the local SSM holds it. */
export interface SsmParameter {
  readonly name: string;
  readonly type: SsmParameterType;
  readonly value: string;
  /** Starts at 1, +1 on every overwrite — as in SSM. */
  readonly version: number;
  readonly lastModified: Date;
}

/** Options of the local SSM. */
export interface LocalSsmOptions {
  /**
   * When true, a SecureString read without `WithDecryption: true` returns an opaque placeholder
   * instead of the value, as real SSM returns ciphertext. Catches a forgotten WithDecryption.
   * @default false — the value is returned either way; assert on `calls` instead
   */
  readonly strictSecureString?: boolean;
}

/** The local SSM Parameter Store, as tests and the local system see it. */
export interface LocalSsm {
  /** Creates or overwrites a parameter; returns its new version. */
  put(name: string, value: string, type?: SsmParameterType): number;
  get(name: string): SsmParameter | undefined;
  /** Returns whether the parameter existed. */
  delete(name: string): boolean;
  /** Every SSM request received, oldest first. Clear it with `calls.length = 0`. */
  readonly calls: RecordedCall[];
}

/** The local SSM plus the entry point the server dispatches `AmazonSSM.*` requests to. */
export interface SsmService extends LocalSsm {
  handle(operation: string, input: Record<string, unknown>): unknown;
}

// Standard tier limit; Advanced allows 8 KB. Ferry's instance documents must fit (DESIGN.md).
const maxValueLength = { Standard: 4096, Advanced: 8192 } as const;
const maxResultsPerPage = 10;

/** Creates an in-memory SSM Parameter Store speaking the operations Ferry uses. */
export function createLocalSsm(options: LocalSsmOptions = {}): SsmService {
  const parameters = new Map<string, SsmParameter>();
  const calls: RecordedCall[] = [];

  const put = (name: string, value: string, type: SsmParameterType = 'String'): number => {
    const version = (parameters.get(name)?.version ?? 0) + 1;
    parameters.set(name, { name, type, value, version, lastModified: new Date() });
    return version;
  };

  const mustGet = (name: unknown): SsmParameter => {
    const parameter = typeof name === 'string' ? parameters.get(name) : undefined;
    if (!parameter) throw new AwsServiceError('ParameterNotFound', `Parameter ${String(name)} not found.`);
    return parameter;
  };

  const toWire = (parameter: SsmParameter, withDecryption: unknown) => ({
    Name: parameter.name,
    Type: parameter.type,
    Value:
      options.strictSecureString && parameter.type === 'SecureString' && withDecryption !== true
        ? Buffer.from(`local-kms:${parameter.name}:${parameter.version}`).toString('base64')
        : parameter.value,
    Version: parameter.version,
    LastModifiedDate: parameter.lastModified.getTime() / 1000,
    ARN: `arn:aws:ssm:${localRegion}:${localAccountId}:parameter${parameter.name.startsWith('/') ? '' : '/'}${parameter.name}`,
    DataType: 'text',
  });

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    GetParameter: (input) => ({ Parameter: toWire(mustGet(input.Name), input.WithDecryption) }),

    GetParameters: (input) => {
      const names = Array.isArray(input.Names) ? (input.Names as string[]) : [];
      if (names.length < 1 || names.length > 10) {
        throw new AwsServiceError('ValidationException', 'Names must hold between 1 and 10 names.');
      }
      const found = names.flatMap((name) => parameters.get(name) ?? []);
      return {
        Parameters: found.map((parameter) => toWire(parameter, input.WithDecryption)),
        InvalidParameters: names.filter((name) => !parameters.has(name)),
      };
    },

    GetParametersByPath: (input) => {
      const path = typeof input.Path === 'string' ? input.Path : '';
      if (!path.startsWith('/')) {
        throw new AwsServiceError('ValidationException', `Path ${path} must begin with "/".`);
      }
      const maxResults = typeof input.MaxResults === 'number' ? input.MaxResults : maxResultsPerPage;
      if (maxResults < 1 || maxResults > maxResultsPerPage) {
        throw new AwsServiceError('ValidationException', 'MaxResults must be between 1 and 10.');
      }
      const prefix = path.endsWith('/') ? path : `${path}/`;
      // Sorted for stable pages; real SSM promises no order, so callers must not rely on it.
      const matching = [...parameters.values()]
        .filter(
          ({ name }) =>
            name.startsWith(prefix) && (input.Recursive === true || !name.slice(prefix.length).includes('/')),
        )
        .sort((a, b) => a.name.localeCompare(b.name));
      const start =
        typeof input.NextToken === 'string' ? Number(Buffer.from(input.NextToken, 'base64').toString()) : 0;
      const page = matching.slice(start, start + maxResults);
      const next = start + maxResults;
      return {
        Parameters: page.map((parameter) => toWire(parameter, input.WithDecryption)),
        ...(next < matching.length ? { NextToken: Buffer.from(String(next)).toString('base64') } : {}),
      };
    },

    PutParameter: (input) => {
      const { Name: name, Value: value } = input;
      if (typeof name !== 'string' || typeof value !== 'string') {
        throw new AwsServiceError('ValidationException', 'Name and Value are required.');
      }
      const existing = parameters.get(name);
      if (existing && input.Overwrite !== true) {
        throw new AwsServiceError('ParameterAlreadyExists', `The parameter ${name} already exists.`);
      }
      const tier = input.Tier === 'Advanced' ? 'Advanced' : 'Standard';
      if (value.length > maxValueLength[tier]) {
        throw new AwsServiceError(
          'ValidationException',
          `${tier} tier parameters support a maximum parameter value of ${maxValueLength[tier]} characters.`,
        );
      }
      const type = (input.Type as SsmParameterType | undefined) ?? existing?.type ?? 'String';
      return { Version: put(name, value, type), Tier: tier };
    },

    DeleteParameter: (input) => {
      parameters.delete(mustGet(input.Name).name);
      return {};
    },
  };

  return {
    put,
    get: (name) => parameters.get(name),
    delete: (name) => parameters.delete(name),
    calls,
    handle(operation, input) {
      calls.push({ target: `AmazonSSM.${operation}`, operation, input });
      const run = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
      if (!run) {
        throw new AwsServiceError(
          'UnknownOperationException',
          `The local SSM does not implement ${operation}.`,
        );
      }
      return run(input);
    },
  };
}
