import { type HttpJsonParams, httpJsonParams } from '../../../functions/httpjson/params.js';
import { type ContextOptions, fetchContext } from '../../helpers/fetch-context.js';

/** The context the runner hands one fetch, with validated params; first_fetch one day back. */
export const httpJsonContext = (params: Record<string, unknown>, options: ContextOptions = {}) => {
  const now = options.now ?? new Date();
  return fetchContext<HttpJsonParams>(httpJsonParams.parse(params), {
    instanceId: 'httpjson-test',
    firstFetch: new Date(now.getTime() - 86_400_000),
    ...options,
    now,
  });
};
