// The dashboard's Quarantine card: events of the selected instance that could not become incidents,
// with export and re-drive. Kept apart from app.js; it follows the selection the page shows. Every
// value from the API is set as text, never as HTML.
import { api } from './app.js';

const POLL_MS = 3000;

const $ = (id) => document.getElementById(id);

const cell = (text, className) => {
  const td = document.createElement('td');
  if (className) td.className = className;
  td.textContent = text;
  return td;
};

const selectedInstance = () =>
  document.querySelector('.instance[aria-current="true"]')?.dataset.instance ??
  (decodeURIComponent(location.hash.slice(1)) || undefined);

let shownFor;
let busy = false;

const say = (text) => {
  $('quarantine-summary').textContent = text;
};

const describeOutcome = (outcome) => {
  if (outcome.error) return `Re-drive failed: ${outcome.error.message}`;
  const parts = [`${outcome.delivered.length} delivered`, `${outcome.stillInvalid.length} still invalid`];
  if (outcome.skipped.length) parts.push(`${outcome.skipped.length} skipped`);
  return `Re-drive: ${parts.join(', ')}.`;
};

const redrive = async (instanceId, ids) => {
  if (busy) return;
  busy = true;
  $('quarantine-redrive').disabled = true;
  try {
    const { outcome } = await api(`/api/instances/${encodeURIComponent(instanceId)}/quarantine/redrive`, {
      method: 'POST',
      body: JSON.stringify(ids ? { ids } : {}),
    });
    await load(instanceId, describeOutcome(outcome));
  } catch (error) {
    say(`Re-drive failed: ${error.message}`);
  } finally {
    busy = false;
    $('quarantine-redrive').disabled = false;
  }
};

const row = (instanceId, record) => {
  const tr = document.createElement('tr');
  tr.dataset.quarantineId = record.quarantineId;
  tr.dataset.status = record.status;
  tr.append(
    cell(new Date(record.lastQuarantinedAt).toLocaleString()),
    cell(record.sourceId ?? '—', 'mono'),
    cell(record.status === 'held' ? 'held' : `re-driven ${new Date(record.redrivenAt).toLocaleString()}`),
    cell(`${record.reason.field}: ${record.lastRedriveError?.message ?? record.reason.message}`),
  );
  const actions = document.createElement('td');
  if (record.status === 'held') {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.textContent = 'Re-drive';
    button.addEventListener('click', () => redrive(instanceId, [record.quarantineId]));
    actions.append(button);
  }
  tr.append(actions);
  return tr;
};

const load = async (instanceId, message) => {
  const card = $('quarantine-card');
  try {
    const { records } = await api(`/api/instances/${encodeURIComponent(instanceId)}/quarantine`);
    if (selectedInstance() !== instanceId) return;
    const held = records.filter((r) => r.status === 'held').length;
    card.hidden = records.length === 0 && !message;
    $('quarantine-redrive').hidden = held === 0;
    $('quarantine-table').tBodies[0].replaceChildren(...records.map((record) => row(instanceId, record)));
    say(
      message ??
        `${held} held, ${records.length - held} re-driven. Held events could not become incidents; the rest of their page was delivered.`,
    );
  } catch {
    card.hidden = true;
  }
};

const poll = async () => {
  const instanceId = selectedInstance();
  if (instanceId && !busy) {
    if (instanceId !== shownFor) $('quarantine-card').hidden = true;
    shownFor = instanceId;
    await load(instanceId);
  }
  setTimeout(poll, POLL_MS);
};

// The export answers with Content-Disposition: attachment, so navigating to it downloads the file.
$('quarantine-export').addEventListener('click', () => {
  const instanceId = selectedInstance();
  if (instanceId) location.assign(`/api/instances/${encodeURIComponent(instanceId)}/quarantine/export`);
});
$('quarantine-redrive').addEventListener('click', () => {
  const instanceId = selectedInstance();
  if (instanceId) redrive(instanceId);
});
document.addEventListener('click', (event) => {
  if (event.target.closest?.('.instance')) setTimeout(() => load(selectedInstance()), 0);
});
poll();
