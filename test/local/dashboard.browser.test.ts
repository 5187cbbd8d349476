import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoSource, startDemoSource } from '../../local/demo-source/server.js';
import { type LocalSystem, startLocalSystem } from '../../local/system.js';
import { startOrResumeReplay } from '../../shared/runner/replay.js';
import { storedIds } from '../helpers/ingest.js';
import { silentLogger } from '../helpers/runtime.js';

/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core. Where chromium is
 * missing the suite is skipped on a developer's machine, and fails under CI (`.ci/run` installs it).
 */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const API_KEY = 'dashboard-demo-key-0123';
const MINUTE = 60_000;

/** Polls a page condition; generous, as the machine may be busy with other suites. */
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 20_000, interval: 100 });

describe.runIf(!hasChromium && process.env.CI === 'true')('the dashboard under CI', () => {
  it('needs chromium', () => {
    throw new Error(`${CHROMIUM} is missing: .ci/run must install Debian's "chromium" package.`);
  });
});

describe.skipIf(!hasChromium)('the dashboard in chromium', { timeout: 120_000 }, () => {
  let dir: string;
  let source: DemoSource;
  let system: LocalSystem;
  let context: BrowserContext;
  let page: Page;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-dashboard-'));
    await mkdir(ARTIFACTS, { recursive: true });
    source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
    for (const minutesAgo of [50, 40, 30]) source.add({ created: Date.now() - minutesAgo * MINUTE });
    process.env.DASHBOARD_DEMO_KEY = API_KEY;
    process.env.DASHBOARD_WRONG_KEY = 'definitely-wrong-key';
    const configPath = join(dir, 'ferry.config.json');
    const instance = (keyVariable: string, extra: Record<string, unknown> = {}) => ({
      connector: 'helloworld',
      fetchInterval: '1 minute',
      params: { url: source.url, first_fetch: '1 hour', look_back: 1 },
      secrets: { apiKey: { env: keyVariable } },
      ...extra,
    });
    await writeFile(
      configPath,
      JSON.stringify({
        sink: { type: 'ferry', token: { env: 'FERRY_INGEST_TOKEN' } },
        instances: {
          alerts: instance('DASHBOARD_DEMO_KEY'),
          'wrong-key': instance('DASHBOARD_WRONG_KEY'),
          paused: instance('DASHBOARD_DEMO_KEY', { enabled: false }),
        },
      }),
    );
    system = await startLocalSystem({
      configPath,
      dataDir: join(dir, 'data'),
      inMemory: true,
      ingestPort: 0,
      demoSource: false,
      schedule: false,
      dashboard: true,
      dashboardPort: 0,
      logger: silentLogger,
      dynamoStartTimeoutMs: 60_000,
    });
    // A few fetches make a history: incidents, an empty fetch, more incidents, and a failing instance.
    await system.invoke('alerts', 'fetch');
    await system.invoke('alerts', 'fetch');
    for (const minutesAgo of [3, 2, 1]) source.add({ created: Date.now() - minutesAgo * 1000 });
    await system.invoke('alerts', 'fetch');
    await system.invoke('wrong-key', 'fetch');

    context = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1360, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await system?.stop();
    await source?.close();
    process.env = savedEnv;
    await rm(dir, { recursive: true, force: true });
  });

  const shot = (name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
  const instanceButton = (id: string) => page.locator(`button.instance[data-instance="${id}"]`);
  const historyRows = () => page.locator('#history-table tbody tr.record');

  it("lists the instances with their health, and shows an instance's fetch history and chart", async () => {
    await page.goto(system.dashboard!.url);
    await eventually(() => page.locator('#live').getAttribute('class')).toContain('ok');
    expect(await instanceButton('alerts').getAttribute('data-status')).toBe('healthy');
    expect(await instanceButton('wrong-key').getAttribute('data-status')).toBe('failing');
    expect(await instanceButton('paused').getAttribute('data-status')).toBe('disabled');
    await eventually(() => instanceButton('wrong-key').textContent()).toContain('failed');

    await instanceButton('alerts').click();
    await eventually(() => historyRows().count()).toBe(3);
    expect(await page.locator('#detail-title').textContent()).toContain('alerts');
    expect(await page.locator('#stats').textContent()).toContain('Incidents · 1 h');
    // One bar per fetch in the chart.
    expect(await page.locator('#chart svg g.bar').count()).toBe(3);
    expect(await page.locator('#chart svg').getAttribute('aria-label')).toContain('6 pushed');

    // Newest first; a row opens to the record's details (XSOAR's Fetch History modal).
    const newest = historyRows().first();
    expect(await newest.locator('td').nth(5).textContent()).toBe('3');
    await newest.locator('button.expand').click();
    const details = page.locator('#history-table tr.details');
    await eventually(() => details.count()).toBe(1);
    const text = await details.textContent();
    expect(text).toContain('Last run before');
    expect(text).toContain('Last run after');
    expect(text).toContain('Source ids');
    await shot('history');
    expect(await page.content()).not.toContain(API_KEY);
  });

  it('"Fetch now (debug)" shows the incidents and pushes and commits nothing', async () => {
    source.add({ created: Date.now(), name: 'Only in the debug fetch' });
    const before = await system.store.read('alerts');
    const pushedBefore = await storedIds(system.incidents, 'alerts');

    await page.getByRole('button', { name: 'Fetch now (debug)' }).click();

    const debugRows = page.locator('#debug-table tbody tr');
    await eventually(() => page.locator('#debug-card').isVisible()).toBe(true);
    await eventually(() => debugRows.count()).toBe(1);
    expect(await debugRows.first().textContent()).toContain('Only in the debug fetch');
    expect(await page.locator('#debug-summary').textContent()).toContain('Nothing was pushed');
    await debugRows.first().locator('summary').click();
    expect(await debugRows.first().locator('pre').textContent()).toContain('"name"');
    await shot('debug');

    expect((await system.store.read('alerts'))?.version).toBe(before?.version);
    expect(await storedIds(system.incidents, 'alerts')).toEqual(pushedBefore);
    expect(await historyRows().count()).toBe(3);
  });

  it('"Run test" reports the outcome of the connector\'s test', async () => {
    await page.getByRole('button', { name: 'Run test' }).click();
    await eventually(() => page.locator('#notice').textContent()).toContain('Test passed');

    await instanceButton('wrong-key').click();
    await page.getByRole('button', { name: 'Run test' }).click();
    await eventually(() => page.locator('#notice').textContent()).toContain('Test failed');
    expect(await page.locator('#notice').getAttribute('data-status')).toBe('error');
    await eventually(() => historyRows().count()).toBe(1);
    await shot('failing');
  });

  it('"Reset last run" asks first, then resets and records the reset in the history', async () => {
    await instanceButton('alerts').click();
    await eventually(() => historyRows().count()).toBe(3);
    const cursor = (await system.store.read('alerts'))?.lastRun;
    expect(cursor).toHaveProperty('time');

    // Cancel leaves everything as it was.
    await page.getByRole('button', { name: 'Reset last run…' }).click();
    const dialog = page.locator('#reset-dialog');
    await eventually(() => dialog.isVisible()).toBe(true);
    expect(await dialog.textContent()).toContain('"alerts"');
    await shot('reset-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await eventually(() => dialog.isVisible()).toBe(false);
    expect((await system.store.read('alerts'))?.lastRun).toEqual(cursor);

    await page.getByRole('button', { name: 'Reset last run…' }).click();
    await dialog.getByRole('button', { name: 'Reset last run' }).click();
    await eventually(() => page.locator('#notice').textContent()).toContain('reset');
    expect((await system.store.read('alerts'))?.lastRun).toEqual({});
    // The reset appears at the top of the history, as an operator action.
    await eventually(() => historyRows().count()).toBe(4);
    expect(await historyRows().first().getAttribute('data-status')).toBe('operator');
    expect(await historyRows().first().textContent()).toContain('last run reset by an operator (dashboard)');
  });

  it('updates without a reload when a fetch happens', async () => {
    await system.invoke('alerts', 'fetch');
    // The page polls; no navigation happens.
    await eventually(() => historyRows().count()).toBe(5);
    expect(await historyRows().first().getAttribute('data-status')).toBe('ok');
    await shot('live');
  });

  it('reads well on a phone-sized screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await eventually(() => historyRows().count()).toBe(5);
    // No horizontal page scroll: the wide table scrolls inside its card.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot('phone');
    await page.setViewportSize({ width: 1360, height: 900 });
  });

  it('draws the chart on a time axis whose labels carry the date and the zone', async () => {
    await instanceButton('alerts').click();
    await eventually(() => historyRows().count()).toBe(5);

    const labels = await page.locator('#chart svg text.tick-label').allTextContents();
    const xs = await page
      .locator('#chart svg g.bar rect.bar-pushed, #chart svg g.bar rect.bar-dropped')
      .evaluateAll((rects) => rects.map((rect) => Number(rect.getAttribute('x'))));

    expect(labels).toHaveLength(3);
    const month = new Date().toLocaleString('en-US', { month: 'short' });
    for (const label of labels) {
      expect(label).toContain(month);
      expect(label).toMatch(/UTC|GMT/);
    }
    expect(await page.locator('#chart svg').getAttribute('aria-label')).toMatch(
      /^Incidents per fetch over time, /,
    );
    // Bars sit at their fetch's time, oldest left: not one slot per fetch.
    expect(xs.length).toBeGreaterThan(0);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    expect(await historyRows().first().locator('button.expand').textContent()).toMatch(/UTC|GMT/);
  });

  it('lists replays, and filters the history by status and the instances by name', async () => {
    const { replayId } = (
      await startOrResumeReplay(system.replays, {
        instanceId: 'alerts',
        connector: 'helloworld',
        from: new Date(Date.now() - 55 * MINUTE),
        to: new Date(Date.now() - 25 * MINUTE),
        now: Date.now(),
      })
    ).progress;
    await system.invoke('alerts', 'replay', { replayId });

    const replays = page.locator('#replays-table tbody tr.replay');
    await eventually(() => replays.count()).toBe(1);
    expect(await replays.first().getAttribute('data-replay')).toBe(replayId);
    expect(await replays.first().textContent()).toContain('100%');
    expect(await replays.first().textContent()).toMatch(/done/);

    await page.locator('#history-filter').selectOption('replay');
    await eventually(() => historyRows().count()).toBe(1);
    expect(await historyRows().first().textContent()).toContain(`replay ${replayId}: `);
    expect(await page.locator('#history-count').textContent()).toBe('1 of latest 6');
    await page.locator('#history-filter').selectOption('operator');
    await eventually(() => historyRows().count()).toBe(1);
    await shot('replays');
    await page.locator('#history-filter').selectOption('');
    await eventually(() => historyRows().count()).toBe(6);

    await page.locator('#instance-filter').fill('wrong');
    await eventually(() => page.locator('button.instance').count()).toBe(1);
    expect(await instanceButton('wrong-key').count()).toBe(1);
    await page.locator('#instance-filter').fill('disabled');
    await eventually(() => page.locator('button.instance').count()).toBe(1);
    expect(await instanceButton('paused').count()).toBe(1);
    await page.locator('#instance-filter').fill('');
    await eventually(() => page.locator('button.instance').count()).toBe(3);
  });

  it('says a failed debug fetch failed, not that the source has nothing new', async () => {
    await instanceButton('wrong-key').click();
    await page.getByRole('button', { name: 'Fetch now (debug)' }).click();

    await eventually(() => page.locator('#debug-summary').textContent()).toContain(
      'The fetch failed: SOURCE_AUTH',
    );
    const table = await page.locator('#debug-table tbody').textContent();
    expect(table).toContain('The fetch failed, so there is nothing to show');
    expect(table).not.toContain('nothing new');
    await shot('debug-failed');
  });
});
