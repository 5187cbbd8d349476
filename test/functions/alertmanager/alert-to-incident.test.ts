import { describe, expect, it } from 'vitest';
import { severityOf } from '../../../functions/alertmanager/alert-to-incident.js';
import { authHeaders } from '../../../functions/alertmanager/alertmanager-api.js';
import { alertmanagerParams } from '../../../functions/alertmanager/params.js';
import { fetchContext } from '../../helpers/fetch-context.js';

describe("the Alertmanager connector's mapping", () => {
  it.each([
    ['critical', 4],
    ['CRITICAL', 4],
    ['high', 3],
    ['error', 3],
    ['warning', 2],
    ['medium', 2],
    ['low', 1],
    ['info', 0.5],
    ['page', 0],
    ['constructor', 0],
    [undefined, 0],
  ])("maps the severity label %s to XSOAR's %s", (label, severity) => {
    expect(severityOf(label)).toBe(severity);
  });

  const withSecrets = (secrets: Record<string, string>) =>
    authHeaders(fetchContext(alertmanagerParams.parse({ url: 'http://am:9093' }), { secrets }).ctx);

  it('sends a bearer token, basic auth, or nothing, from the optional secrets', () => {
    expect(withSecrets({ token: 't0ken' })).toEqual({ authorization: 'Bearer t0ken' });
    expect(withSecrets({ username: 'ops', password: 'pw' })).toEqual({
      authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}`,
    });
    expect(withSecrets({})).toEqual({});
  });

  it('refuses half a basic-auth pair or both kinds of credentials, naming the secret', () => {
    expect(() => withSecrets({ username: 'ops' })).toThrow(/secrets "username" and "password"/);
    expect(() => withSecrets({ token: 't', password: 'pw' })).toThrow(/not both/);
  });
});
