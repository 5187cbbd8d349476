import { type CursorConnector, defineConnector } from '../../shared/connector.js';
import { alertToIncident } from './alert-to-incident.js';
import { checkAlertmanager, type GettableAlert, listAlerts } from './alertmanager-api.js';
import { EpisodeSet, episodeKey } from './episodes.js';
import { type AlertmanagerParams, alertmanagerParams } from './params.js';

/** The cursor: the episodes already fetched (see {@link EpisodeSet}). */
export interface AlertmanagerLastRun {
  episodes?: Record<string, string>;
}

/** At most this many episodes are remembered: about 80 KB of last run. */
export const MAX_EPISODES = 10_000;

export interface AlertmanagerConnectorOptions {
  /** @default MAX_EPISODES */
  readonly maxEpisodes?: number;
}

/** Alertmanager's own rule for the active/silenced/inhibited/unprocessed switches, applied locally. */
const wanted = (alert: GettableAlert, params: AlertmanagerParams): boolean => {
  const state = alert.status?.state;
  if (state === 'unprocessed') return params.unprocessed;
  if ((alert.status?.silencedBy?.length ?? 0) > 0 && !params.silenced) return false;
  if ((alert.status?.inhibitedBy?.length ?? 0) > 0 && !params.inhibited) return false;
  return state !== 'active' || params.active;
};

const byStart = (a: GettableAlert, b: GettableAlert) =>
  Date.parse(a.startsAt) - Date.parse(b.startsAt) || (a.fingerprint < b.fingerprint ? -1 : 1);

const keyOf = (alert: GettableAlert) => episodeKey(alert.fingerprint, Date.parse(alert.startsAt));

/**
 * Builds the Prometheus Alertmanager connector. It is own-cursor: Alertmanager lists the alerts that
 * fire now, so each fetch lists them all and returns the episodes (fingerprint + startsAt) it has not
 * fetched yet, oldest first, at most `max_fetch`; the cursor remembers the fetched episodes while they
 * are listed (and `forgetAfterMinutes` after), never more than `maxEpisodes`.
 */
export const createAlertmanagerConnector = (options: AlertmanagerConnectorOptions = {}) => {
  const maxEpisodes = options.maxEpisodes ?? MAX_EPISODES;
  return defineConnector<AlertmanagerParams, never, CursorConnector<AlertmanagerParams>>({
    name: 'alertmanager',
    style: 'cursor',
    params: alertmanagerParams,
    // A fetch only lists the alerts that fire now.
    prefetch: true,
    checkLastRun: (lastRun) =>
      Object.keys(lastRun).flatMap((key) => {
        if (key !== 'episodes')
          return [`"${key}" is not part of the Alertmanager cursor (it has "episodes").`];
        const episodes = lastRun.episodes;
        const valid =
          typeof episodes === 'object' &&
          episodes !== null &&
          !Array.isArray(episodes) &&
          Object.values(episodes).every((packed) => typeof packed === 'string');
        return valid
          ? []
          : ['"episodes" must be an object of packed episode hashes by minute, as a fetch writes it.'];
      }),

    async fetchIncidents(ctx) {
      const nowMs = ctx.now.getTime();
      const previous = EpisodeSet.parse((ctx.lastRun as AlertmanagerLastRun).episodes);
      const listed = (await listAlerts(ctx)).sort(byStart);

      // Listed episodes already fetched stay remembered whatever their state, so a silence that
      // expires does not fetch them again; the switches only decide what is new.
      const next = new EpisodeSet();
      const fresh: GettableAlert[] = [];
      for (const alert of listed) {
        const key = keyOf(alert);
        if (previous.has(key)) next.see(key, nowMs);
        else if (wanted(alert, ctx.params)) fresh.push(alert);
      }
      const alreadyFetched = next.size;

      const room = Math.max(0, maxEpisodes - next.size);
      const taken = fresh.slice(0, Math.min(ctx.maxFetch, room));
      for (const alert of taken) next.see(keyOf(alert), nowMs);
      next.carryOver(previous, nowMs - ctx.params.forgetAfterMinutes * 60_000, maxEpisodes);

      const left = fresh.length - taken.length;
      // Capped: the rest cannot be remembered, so fetching it would fetch it again every time.
      const capped = left > 0 && room <= ctx.maxFetch;
      let notice: string | undefined;
      if (capped) {
        notice =
          `${left} firing alert(s) were not fetched: the cursor remembers at most ${maxEpisodes} firing episodes ` +
          'and that many are listed. Narrow params.filter or split the alerts over several instances; they are ' +
          'fetched as soon as others resolve.';
        ctx.health(notice, { isError: true });
      }
      return {
        incidents: taken.map(alertToIncident),
        nextRun: { episodes: next.serialize() } satisfies AlertmanagerLastRun,
        hasMore: left > 0 && !capped,
        dropped: alreadyFetched,
        pages: 1,
        ...(notice ? { notice } : {}),
      };
    },

    async test(ctx) {
      await checkAlertmanager(ctx);
      // The fetch's own query proves params.filter and params.receiver are accepted.
      await listAlerts(ctx);
    },
  });
};

/** The Prometheus Alertmanager connector (`GET /api/v2/alerts`). */
export const alertmanager = createAlertmanagerConnector();
