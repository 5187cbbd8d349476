// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';

/**
 * The parameters every AWS-native connector shares: where the service is. Credentials are never a
 * parameter: the SDK's default chain gives the function's own role in Lambda and the operator's
 * profile locally.
 */
export const awsLocationParams = {
  /** The service's Region. @default the function's own Region (`AWS_REGION`) */
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS Region such as "eu-west-1"')
    .optional(),
  /**
   * Another endpoint for the service: a VPC interface endpoint, a FIPS endpoint, or a local one in tests.
   * @default the SDK's (`AWS_ENDPOINT_URL_<SERVICE>` when set, else the public endpoint of `region`)
   */
  endpoint_url: z
    .url({ message: 'must be an https URL such as "https://guardduty.eu-west-1.amazonaws.com"' })
    .optional(),
};

/** The Region a connector's client uses: the instance's `region`, else the function's own. */
export const regionOf = (params: { readonly region?: string }): string | undefined =>
  params.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;

/**
 * One SDK client per Region and endpoint, created on first use and kept for the life of the process
 * (a Lambda cold start), as DESIGN.md asks of AWS clients.
 */
export const clientCache = <C>(create: (config: { region?: string; endpoint?: string }) => C) => {
  const clients = new Map<string, C>();
  return (params: { readonly region?: string; readonly endpoint_url?: string }): C => {
    const region = regionOf(params);
    const key = `${region ?? ''}|${params.endpoint_url ?? ''}`;
    let client = clients.get(key);
    if (!client) {
      client = create({
        ...(region ? { region } : {}),
        ...(params.endpoint_url ? { endpoint: params.endpoint_url } : {}),
      });
      clients.set(key, client);
    }
    return client;
  };
};
