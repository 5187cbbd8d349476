// Ferry's dashboard: plain DOM, no framework. Every value from the API is set as text, never as HTML.
// Over 300 lines on purpose: one static module with no build step, in marked sections (formatting,
// instances, chart, history, replays, actions, polling), so the page needs no bundler.
const POLL_MS = 3000;
// The most the API returns in one answer (local/dashboard/app.ts).
const HISTORY_LIMIT = 200;
const SVG = 'http://www.w3.org/2000/svg';

const state = {
  instances: [],
  selected: decodeURIComponent(location.hash.slice(1)) || undefined,
  history: [],
  historyFor: undefined,
  expanded: new Set(),
  replays: [],
  /** History filter: '' (all), a status, or 'replay'. */
  statusFilter: '',
  /** Instance list filter: words matched against id, connector and status. */
  instanceFilter: '',
  now: Date.now(),
  busy: false,
};

const $ = (id) => document.getElementById(id);

/** Creates an element: `h('td', { class: 'num' }, '12')`. Strings become text nodes. */
const h = (tag, props = {}, ...children) => {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
};

const svg = (tag, attributes = {}, ...children) => {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  for (const child of children)
    element.append(child instanceof Node ? child : document.createTextNode(child));
  return element;
};

/** The dashboard's JSON API; exported for the page's other modules (quarantine.js). */
export const api = async (path, options = {}) => {
  const response = await fetch(path, {
    ...options,
    headers: { accept: 'application/json', ...(options.body ? { 'content-type': 'application/json' } : {}) },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body?.error?.message ?? `${response.status} ${response.statusText}`);
  return body;
};

// ---------------------------------------------------------------- formatting

const duration = (ms) => {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
};

const ago = (iso) => (iso ? `${duration(Math.max(0, state.now - Date.parse(iso)))} ago` : '—');

const clockTime = (iso) =>
  new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

// Always with the date and the zone: a history spans days, and the reader's zone may not be the server's.
// Axis labels stop at the minute.
const withDate = (value, seconds) =>
  new Date(value).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
    timeZoneName: 'short',
  });
const dateTime = (iso) => withDate(iso, true);
const axisTime = (ms) => withDate(ms, false);

const statusLabel = { 'no-data': 'no data' };
const pill = (status) => h('span', { class: 'pill', dataset: { status } }, statusLabel[status] ?? status);

const json = (value) => JSON.stringify(value, null, 2);

const plural = (count, noun) => `${count} ${noun}${count === 1 ? '' : 's'}`;

// ---------------------------------------------------------------- instances

const renderSummary = () => {
  const counts = {};
  for (const instance of state.instances) counts[instance.status] = (counts[instance.status] ?? 0) + 1;
  const parts = Object.entries(counts).map(([status, count]) => `${count} ${statusLabel[status] ?? status}`);
  $('summary').textContent = parts.join(' · ');
};

const instanceCard = (instance) => {
  const counts = instance.incidents;
  return h(
    'li',
    {},
    h(
      'button',
      {
        type: 'button',
        class: 'instance',
        dataset: { status: instance.status, instance: instance.instanceId },
        'aria-current': instance.instanceId === state.selected ? 'true' : 'false',
        onclick: () => select(instance.instanceId),
      },
      h(
        'span',
        { class: 'instance-top' },
        h('span', { class: 'instance-id' }, instance.instanceId),
        pill(instance.status),
      ),
      h(
        'span',
        { class: 'instance-meta' },
        h('span', {}, instance.connector),
        h('span', {}, `fetched ${ago(instance.lastRunAt)}`),
        counts ? h('span', {}, `${counts.lastHour} in 1h · ${counts.lastDay} in 24h`) : undefined,
        instance.fetchingUntil ? h('span', {}, 'fetching now…') : undefined,
      ),
      instance.status === 'healthy' ? undefined : h('span', { class: 'instance-reason' }, instance.reason),
    ),
  );
};

const renderInstances = () => {
  const list = $('instance-list');
  list.setAttribute('aria-busy', 'false');
  const focused = document.activeElement?.dataset?.instance;
  const words = state.instanceFilter.split(/\s+/).filter(Boolean);
  const shown = state.instances.filter((instance) => {
    const text = `${instance.instanceId} ${instance.connector} ${instance.status}`.toLowerCase();
    return words.every((word) => text.includes(word));
  });
  list.replaceChildren(
    ...(shown.length
      ? shown.map(instanceCard)
      : [
          h(
            'li',
            { class: 'empty' },
            state.instances.length
              ? 'No instance matches the filter.'
              : 'No instances configured in ferry.config.json.',
          ),
        ]),
  );
  if (focused) list.querySelector(`[data-instance="${CSS.escape(focused)}"]`)?.focus();
  renderSummary();
};

// ---------------------------------------------------------------- detail

const stat = (label, value, note) =>
  h(
    'div',
    { class: 'stat' },
    h('dt', {}, label),
    h('dd', {}, value, note ? h('small', {}, ` ${note}`) : undefined),
  );

const renderStats = (instance) => {
  const counts = instance.incidents ?? { lastHour: 0, lastDay: 0, lastWeek: 0 };
  const cursor = typeof instance.lastRun?.time === 'string' ? instance.lastRun.time : undefined;
  $('stats').replaceChildren(
    stat('Last fetch', ago(instance.lastRunAt)),
    stat('Last incident', ago(instance.lastIncidentAt)),
    stat('Incidents · 1 h', String(counts.lastHour)),
    stat('Incidents · 24 h', String(counts.lastDay)),
    stat('Incidents · 7 d', String(counts.lastWeek)),
    stat(
      'Cursor lag',
      instance.cursorLagSeconds === undefined ? '—' : duration(instance.cursorLagSeconds * 1000),
      cursor ? `at ${dateTime(cursor)}` : undefined,
    ),
    stat('Failures in a row', String(instance.consecutiveFailures ?? 0)),
    stat('Interval', instance.fetchInterval ?? '—'),
  );
};

const renderChart = () => {
  const container = $('chart');
  const fetches = state.history
    // Fetches only: a replay has its own card, and its window is not this axis's time.
    .filter((record) => (record.status === 'ok' || record.status === 'error') && !isReplay(record))
    .slice(0, HISTORY_LIMIT)
    .reverse();
  if (fetches.length === 0) {
    container.replaceChildren(h('p', { class: 'empty-chart' }, 'No fetches yet.'));
    return;
  }
  const width = Math.max(280, container.clientWidth || 600);
  const height = 180;
  const pad = { top: 10, right: 8, bottom: 22, left: 34 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const peak = Math.max(1, ...fetches.map((r) => r.pushed + r.dropped));
  // An even, round top keeps both grid labels whole numbers (counts are whole).
  const magnitude = 10 ** Math.floor(Math.log10(peak));
  const top = [2, 4, 6, 8, 10].map((m) => m * magnitude).find((candidate) => candidate >= peak);
  // A time axis: each bar at its fetch's start, so hours without fetches show as gaps.
  const times = fetches.map((r) => Date.parse(r.startedAt));
  const first = times[0];
  const last = Math.max(times.at(-1), first + 60_000);
  const barW = Math.max(2, Math.min(12, (plotW / Math.max(fetches.length, 12)) * 0.7));
  const xOf = (ms) => pad.left + ((ms - first) / (last - first)) * (plotW - barW);
  const y = (value) => pad.top + plotH - (value / top) * plotH;
  const totalPushed = fetches.reduce((sum, r) => sum + r.pushed, 0);
  const failed = fetches.filter((r) => r.status === 'error').length;

  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `Incidents per fetch over time, ${axisTime(first)} to ${axisTime(last)}, for the last ${fetches.length} fetches: ${totalPushed} pushed, ${failed} failed.`,
  });
  chart.append(
    svg('line', { class: 'grid', x1: pad.left, x2: width - pad.right, y1: y(top), y2: y(top) }),
    svg('line', { class: 'grid', x1: pad.left, x2: width - pad.right, y1: y(top / 2), y2: y(top / 2) }),
    svg('line', { class: 'axis', x1: pad.left, x2: width - pad.right, y1: y(0), y2: y(0) }),
    svg('text', { x: pad.left - 6, y: y(top) + 4, 'text-anchor': 'end' }, String(top)),
    svg('text', { x: pad.left - 6, y: y(top / 2) + 4, 'text-anchor': 'end' }, String(top / 2)),
    svg('text', { x: pad.left - 6, y: y(0) + 4, 'text-anchor': 'end' }, '0'),
  );
  fetches.forEach((record, index) => {
    const x = xOf(times[index]);
    const title = `${dateTime(record.startedAt)} — ${record.status === 'error' ? `failed: ${record.error?.message ?? ''}` : `pushed ${record.pushed}, dropped ${record.dropped}`}`;
    const group = svg('g', { class: 'bar' }, svg('title', {}, title));
    if (record.status === 'error') {
      group.append(
        svg('rect', { class: 'bar-error', x, y: y(0) - plotH, width: barW, height: plotH, opacity: 0.18 }),
      );
      group.append(svg('rect', { class: 'bar-error', x, y: y(0) - 4, width: barW, height: 4 }));
    } else {
      const pushedTop = y(record.pushed);
      group.append(
        svg('rect', { class: 'bar-pushed', x, y: pushedTop, width: barW, height: y(0) - pushedTop }),
      );
      if (record.dropped > 0) {
        const droppedTop = y(record.pushed + record.dropped);
        group.append(
          svg('rect', {
            class: 'bar-dropped',
            x,
            y: droppedTop,
            width: barW,
            height: pushedTop - droppedTop,
          }),
        );
      }
      // An empty fetch still shows, as a sliver on the axis.
      if (record.pushed + record.dropped === 0)
        group.append(svg('rect', { class: 'bar-dropped', x, y: y(0) - 1.5, width: barW, height: 1.5 }));
    }
    chart.append(group);
  });
  // Three ticks: the first fetch, the middle of the span, the last; each with its date and zone.
  const ticks = [first, (first + last) / 2, last];
  ticks.forEach((ms, index) => {
    const x = xOf(ms) + barW / 2;
    const anchor = index === 0 ? 'start' : index === ticks.length - 1 ? 'end' : 'middle';
    chart.append(
      svg('line', { class: 'tick', x1: x, x2: x, y1: y(0), y2: y(0) + 4 }),
      svg('text', { class: 'tick-label', x, y: height - 4, 'text-anchor': anchor }, axisTime(ms)),
    );
  });
  container.replaceChildren(chart);
};

const idList = (ids, total) =>
  h(
    'span',
    { class: 'ids' },
    ids.map((id) => h('code', {}, id)),
    total > ids.length ? h('span', { class: 'muted' }, `+${total - ids.length} more`) : undefined,
  );

const recordDetails = (record) =>
  h(
    'dl',
    { class: 'kv' },
    h('dt', {}, 'Run'),
    h('dd', {}, h('code', {}, record.runId)),
    h('dt', {}, 'Started'),
    h('dd', {}, `${dateTime(record.startedAt)} (${record.startedAt})`),
    record.action ? [h('dt', {}, 'Action'), h('dd', {}, record.action)] : undefined,
    h('dt', {}, 'Fetches · pages'),
    h('dd', {}, `${record.fetches} · ${record.pages}`),
    record.message ? [h('dt', {}, 'Message'), h('dd', {}, record.message)] : undefined,
    record.error
      ? [
          h('dt', {}, 'Error'),
          h('dd', { class: 'error-text' }, `${record.error.code}: ${record.error.message}`),
        ]
      : undefined,
    record.sourceIdCount > 0
      ? [h('dt', {}, 'Source ids'), h('dd', {}, idList(record.sourceIds, record.sourceIdCount))]
      : undefined,
    record.sinkIds?.length
      ? [h('dt', {}, 'Sink ids'), h('dd', {}, idList(record.sinkIds, record.sinkIds.length))]
      : undefined,
    h('dt', {}, 'Last run before'),
    h('dd', {}, h('pre', {}, json(record.lastRunBefore ?? {}))),
    h('dt', {}, 'Last run after'),
    h('dd', {}, h('pre', {}, json(record.lastRunAfter ?? record.lastRunBefore ?? {}))),
  );

const isReplay = (record) => record.action === 'replay';

const summaryOf = (record) => {
  if (isReplay(record)) {
    const window = record.lastRunBefore?.time ? `${dateTime(record.lastRunBefore.time)} → ` : '';
    const id = record.runId.replace(/^replay-/, '');
    return h(
      'span',
      {},
      h('span', { class: 'tag' }, 'replay'),
      ` ${id}: ${window}${record.error ? 'stopped' : 'finished'}, pushed ${record.pushed}`,
      record.error ? h('span', { class: 'error-text' }, ` — ${record.error.message}`) : undefined,
    );
  }
  if (record.error) return h('span', { class: 'error-text' }, record.error.message);
  if (record.action) return record.message ? `${record.action} — ${record.message}` : record.action;
  if (record.message) return record.message;
  if (record.sourceIdCount > 0) return idList(record.sourceIds.slice(0, 4), record.sourceIdCount);
  return h('span', { class: 'muted' }, record.pulled === 0 ? 'Nothing new' : '');
};

const shownHistory = () =>
  state.history.filter((record) =>
    state.statusFilter === ''
      ? true
      : state.statusFilter === 'replay'
        ? isReplay(record)
        : record.status === state.statusFilter,
  );

const renderHistory = () => {
  const rows = [];
  const shown = shownHistory();
  for (const record of shown) {
    const key = record.runId;
    const open = state.expanded.has(key);
    const toggle = () => {
      if (state.expanded.has(key)) state.expanded.delete(key);
      else state.expanded.add(key);
      renderHistory();
      document.querySelector(`tr[data-run="${CSS.escape(key)}"] .expand`)?.focus();
    };
    rows.push(
      h(
        'tr',
        {
          class: 'record',
          dataset: { run: key, status: record.status },
          'aria-expanded': String(open),
          onclick: (event) => {
            if (!event.target.closest('button')) toggle();
          },
        },
        h(
          'td',
          { class: 'time' },
          h(
            'button',
            {
              type: 'button',
              class: 'expand',
              'aria-expanded': String(open),
              'aria-label': `Details of the run at ${dateTime(record.startedAt)}`,
              onclick: toggle,
            },
            dateTime(record.startedAt),
          ),
        ),
        h('td', { class: 'time' }, duration(record.durationMs)),
        h('td', {}, pill(record.status)),
        h('td', { class: 'num' }, String(record.pulled)),
        h('td', { class: 'num' }, String(record.dropped)),
        h('td', { class: 'num' }, String(record.pushed)),
        h('td', { class: 'message' }, summaryOf(record)),
      ),
    );
    if (open) rows.push(h('tr', { class: 'details' }, h('td', { colspan: 7 }, recordDetails(record))));
  }
  if (rows.length === 0) {
    const empty = state.history.length === 0 ? 'No fetch history yet.' : 'No run matches the filter.';
    rows.push(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, empty)));
  }
  $('history-table').tBodies[0].replaceChildren(...rows);
  $('history-count').textContent = state.history.length
    ? `${shown.length === state.history.length ? '' : `${shown.length} of `}latest ${state.history.length}`
    : '';
};

const replayRows = () =>
  state.replays.map((replay) => {
    const span = Date.parse(replay.to) - Date.parse(replay.from);
    const at =
      typeof replay.cursor?.time === 'string' ? Date.parse(replay.cursor.time) : Date.parse(replay.from);
    const percent =
      replay.status === 'done'
        ? 100
        : Math.max(0, Math.min(100, Math.round(((at - Date.parse(replay.from)) / span) * 100)));
    return h(
      'tr',
      { class: 'replay', dataset: { replay: replay.replayId, status: replay.status } },
      h('td', {}, h('code', {}, replay.replayId)),
      h('td', { class: 'time' }, `${dateTime(replay.from)} → ${dateTime(replay.to)}`),
      h('td', {}, pill(replay.status)),
      h('td', { class: 'num' }, `${percent}%`),
      h('td', { class: 'num' }, String(replay.pushed)),
      h('td', { class: 'time' }, dateTime(replay.updatedAt)),
      h(
        'td',
        { class: 'message' },
        replay.lastError
          ? h('span', { class: 'error-text' }, `${replay.lastError.code}: ${replay.lastError.message}`)
          : replay.status === 'done'
            ? 'The live last run was not touched.'
            : `Resume: ferry replay ${replay.instanceId} --resume ${replay.replayId}`,
      ),
    );
  });

const renderReplays = () => {
  $('replays-card').hidden = state.replays.length === 0;
  $('replays-table').tBodies[0].replaceChildren(...replayRows());
};

const renderDetail = () => {
  const instance = state.instances.find((candidate) => candidate.instanceId === state.selected);
  $('detail-empty').hidden = Boolean(instance);
  $('detail-body').hidden = !instance;
  if (!instance) return;
  $('detail-title').replaceChildren(
    instance.instanceId,
    h('span', { class: 'connector' }, instance.connector),
    pill(instance.status),
  );
  $('detail-reason').textContent = instance.fetchingUntil
    ? `Fetching now. ${instance.reason}`
    : instance.reason;
  renderStats(instance);
  if (state.historyFor === instance.instanceId) {
    renderChart();
    renderHistory();
    renderReplays();
  }
};

// ---------------------------------------------------------------- actions

const notice = (status, text) => {
  const box = $('notice');
  box.dataset.status = status;
  box.textContent = text;
  box.hidden = false;
};

const withBusy = async (button, label, work) => {
  const original = button.textContent;
  for (const other of document.querySelectorAll('.actions .button')) other.disabled = true;
  button.textContent = label;
  try {
    await work();
  } catch (error) {
    notice('error', error.message);
  } finally {
    for (const other of document.querySelectorAll('.actions .button')) other.disabled = false;
    button.textContent = original;
  }
};

const showDebug = (outcome) => {
  const incidents = outcome.incidents ?? [];
  $('debug-card').hidden = false;
  $('debug-summary').textContent = outcome.error
    ? `The fetch failed: ${outcome.error.code}: ${outcome.error.message}`
    : `${incidents.length} incident${incidents.length === 1 ? '' : 's'} in ${duration(outcome.durationMs)} (pulled ${outcome.pulled}, dropped ${outcome.dropped}). Nothing was pushed and the last run was not moved.`;
  const rows = incidents.map((incident) =>
    h(
      'tr',
      {},
      h('td', {}, incident.name),
      h('td', { class: 'time' }, incident.occurred ? dateTime(incident.occurred) : '—'),
      h('td', {}, incident.severity === undefined ? '—' : String(incident.severity)),
      h('td', {}, incident.dbotMirrorId ? h('code', {}, incident.dbotMirrorId) : '—'),
      h(
        'td',
        {},
        h(
          'details',
          { class: 'raw' },
          h('summary', {}, 'Raw JSON'),
          h('pre', {}, incident.rawJSON ?? json(incident)),
        ),
      ),
    ),
  );
  if (rows.length === 0)
    rows.push(
      h(
        'tr',
        {},
        h(
          'td',
          { colspan: 5, class: outcome.error ? 'error-text' : 'muted' },
          outcome.error
            ? 'The fetch failed, so there is nothing to show (see above).'
            : 'The source has nothing new for this instance.',
        ),
      ),
    );
  $('debug-table').tBodies[0].replaceChildren(...rows);
  $('debug-card').scrollIntoView({ block: 'nearest', behavior: 'smooth' });
};

const actions = {
  async debug(button) {
    await withBusy(button, 'Fetching…', async () => {
      const { outcome } = await api(`/api/instances/${encodeURIComponent(state.selected)}/debug`, {
        method: 'POST',
        body: '{}',
      });
      showDebug(outcome);
      notice(
        outcome.error ? 'error' : 'ok',
        outcome.error
          ? `Debug fetch failed: ${outcome.error.message}`
          : `Debug fetch: ${plural(outcome.incidents?.length ?? 0, 'incident')} (nothing pushed, nothing committed).`,
      );
    });
  },
  async test(button) {
    await withBusy(button, 'Testing…', async () => {
      const { outcome } = await api(`/api/instances/${encodeURIComponent(state.selected)}/test`, {
        method: 'POST',
        body: '{}',
      });
      if (outcome.ok) notice('ok', 'Test passed: the parameters are valid and the source answers.');
      else notice('error', `Test failed: ${outcome.error?.message ?? 'unknown error'}`);
    });
  },
  reset() {
    const instance = state.instances.find((candidate) => candidate.instanceId === state.selected);
    $('reset-text').textContent =
      `The next fetch of "${state.selected}" starts again from its first_fetch${instance?.lastRun?.time ? ` instead of ${dateTime(instance.lastRun.time)}` : ''}. Incidents fetched before are pushed again; the sink drops the ones it already has.`;
    // Escape keeps the previous returnValue: clear it, so only the button can confirm.
    $('reset-dialog').returnValue = '';
    $('reset-dialog').showModal();
  },
};

const confirmReset = async () => {
  const id = state.selected;
  await withBusy($('action-reset'), 'Resetting…', async () => {
    const result = await api(`/api/instances/${encodeURIComponent(id)}/reset`, {
      method: 'POST',
      body: JSON.stringify({ confirm: id }),
    });
    notice('ok', `Last run of "${id}" reset: ${result.action}.`);
    await refresh();
  });
};

// ---------------------------------------------------------------- polling

const select = (instanceId) => {
  if (state.selected !== instanceId) {
    state.selected = instanceId;
    state.history = [];
    state.replays = [];
    state.historyFor = undefined;
    state.expanded.clear();
    $('debug-card').hidden = true;
    $('notice').hidden = true;
    history.replaceState(null, '', `#${encodeURIComponent(instanceId)}`);
  }
  renderInstances();
  renderDetail();
  refresh();
};

const setLive = (ok, text) => {
  $('live').className = `live ${ok ? 'ok' : 'stale'}`;
  $('live-text').textContent = text;
};

let timer;
let inFlight;
const refresh = async () => {
  clearTimeout(timer);
  if (inFlight) return inFlight;
  inFlight = (async () => {
    try {
      const overview = await api('/api/overview');
      state.now = Date.parse(overview.now);
      state.instances = overview.instances;
      $('mode').textContent = overview.mode === 'aws' ? 'AWS' : 'local';
      if (!state.selected && state.instances.length > 0) state.selected = state.instances[0].instanceId;
      const selected = state.selected;
      if (selected && state.instances.some((i) => i.instanceId === selected)) {
        const path = `/api/instances/${encodeURIComponent(selected)}`;
        const [{ records }, { replays }] = await Promise.all([
          api(`${path}/history?limit=${HISTORY_LIMIT}`),
          api(`${path}/replays`),
        ]);
        if (state.selected === selected) {
          state.history = records;
          state.replays = replays;
          state.historyFor = selected;
        }
      }
      renderInstances();
      renderDetail();
      setLive(true, `Live · updated ${clockTime(overview.now)}`);
    } catch (error) {
      setLive(false, `Not updating: ${error.message}`);
    } finally {
      inFlight = undefined;
      timer = setTimeout(tick, POLL_MS);
    }
  })();
  return inFlight;
};

// A hidden tab does not poll; it catches up when shown again.
const tick = () => {
  if (!document.hidden) refresh();
  else timer = setTimeout(tick, POLL_MS);
};

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) refresh();
});
window.addEventListener('resize', () => {
  if (state.historyFor) renderChart();
});
$('history-filter').addEventListener('change', (event) => {
  state.statusFilter = event.currentTarget.value;
  renderHistory();
});
$('instance-filter').addEventListener('input', (event) => {
  state.instanceFilter = event.currentTarget.value.trim().toLowerCase();
  renderInstances();
});
$('action-debug').addEventListener('click', (event) => actions.debug(event.currentTarget));
$('action-test').addEventListener('click', (event) => actions.test(event.currentTarget));
$('action-reset').addEventListener('click', () => actions.reset());
$('debug-close').addEventListener('click', () => {
  $('debug-card').hidden = true;
});
$('reset-dialog').addEventListener('close', () => {
  if ($('reset-dialog').returnValue === 'reset') confirmReset();
});
refresh();
