// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';
import { httpUrlSchema } from '../../shared/config/http-url.js';
import { defineConnector, type WindowConnector } from '../../shared/connector.js';
import { ErrorCodes, SourceError } from '../../shared/errors.js';
import { buildIncident, Severity } from '../../shared/incident.js';

/** One alert of the demo source (`local/demo-source`), as its API returns it. */
export interface DemoAlert {
  id: string;
  name: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  created: string;
  description?: string;
  host?: string;
  user?: string;
  source_ip?: string;
}

const params = z
  .object({
    /** The alert API's base URL. */
    url: httpUrlSchema(
      'must be the alert API\'s base URL, such as "https://alerts.example.com" (http(s) only)',
    ),
  })
  .strict();

export type HelloWorldParams = z.infer<typeof params>;

const alertsUrl = (base: string) => new URL('alerts', base.endsWith('/') ? base : `${base}/`).toString();

/**
 * The tutorial connector: a time-window connector for the demo alert API. It only says how to query
 * one window and how to map one alert; the runner owns the cursor, look-back and dedupe.
 */
export const helloworld = defineConnector<
  HelloWorldParams,
  DemoAlert,
  WindowConnector<HelloWorldParams, DemoAlert>
>({
  name: 'helloworld',
  style: 'window',
  params,
  secrets: ['apiKey'],
  maxPageSize: 1000,

  async fetchWindow(ctx, window) {
    const { body } = await ctx.http.request<{ alerts?: DemoAlert[] }>({
      url: alertsUrl(ctx.params.url),
      headers: { authorization: `Bearer ${ctx.secrets.apiKey}` },
      query: { since: window.start.toISOString(), until: window.end.toISOString(), limit: window.limit },
    });
    if (!Array.isArray(body?.alerts)) {
      throw new SourceError(
        ErrorCodes.SOURCE_BAD_RESPONSE,
        'The alert API answered without an "alerts" array.',
      );
    }
    return { events: body.alerts };
  },

  toIncident: (alert) =>
    buildIncident(alert, {
      name: (a) => a.name,
      occurred: (a) => a.created,
      id: (a) => a.id,
      details: (a) => a.description,
      // Own keys only: a source's "constructor" or "__proto__" is an unknown severity, not Object's.
      severity: (a) => (Object.hasOwn(Severity, a.severity) ? Severity[a.severity] : Severity.unknown),
      type: 'Demo Alert',
      labels: (a) => ({ host: a.host, user: a.user, source_ip: a.source_ip }),
    }),

  async test(ctx) {
    // One small query proves the URL, the key and the API's shape (XSOAR's test-module).
    await this.fetchWindow(ctx, { start: new Date(ctx.now.getTime() - 60_000), end: ctx.now, limit: 1 });
  },
});
