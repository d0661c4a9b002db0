import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportHtml } from '../../src/reproduce/report.js';
import { formatTable, reproduce, type ReproduceReport } from '../../src/reproduce/reproduce.js';
import { runScenario } from '../../src/reproduce/run.js';
import { SCENARIOS } from '../../src/reproduce/scenarios.js';

const scenario = (id: string) => {
  const s = SCENARIOS.find((x) => x.id === id);
  if (s === undefined) throw new Error(id);
  return s;
};

let report: ReproduceReport | null = null;
async function shortReport(): Promise<ReproduceReport> {
  report ??= await reproduce({ runs: 1, durationS: 1, payload: 'timing', profileName: 'rcar-s4', scenarios: ['baseline-udp', 'mq2-perbit-udp'], workers: 0 });
  return report;
}

describe('reproduce (short, in-process)', () => {
  it('writes the documented JSON schema with numbers from the model', async () => {
    const rep = await shortReport();
    expect(rep).toMatchObject({ profile: 'rcar-s4', mode: 'timing', runs: 1, duration_s: 1 });
    for (const k of ['wall_s', 'events_per_s', 'sim_s_per_wall_s'] as const) expect(rep[k]).toBeGreaterThan(0);
    expect(rep.scenarios.map((s) => s.id)).toEqual(['baseline-udp', 'mq2-perbit-udp']);
    for (const s of rep.scenarios) {
      expect(Object.keys(s)).toEqual(expect.arrayContaining(['id', 'protocol', 'queues', 'doorbell', 'runs_mbps', 'mean_mbps', 'min_mbps', 'max_mbps', 'median_mbps', 'sd_mbps', 'published_mbps', 'bottleneck']));
      expect(s.runs_mbps).toHaveLength(1);
      expect(s.mean_mbps).toBeGreaterThan(100);
      expect(s.bottleneck.busyPct).toBeGreaterThan(50);
    }
    const [legacy, perbit] = rep.scenarios;
    expect((perbit?.mean_mbps ?? 0) / (legacy?.mean_mbps ?? 1)).toBeGreaterThan(1.6);
    expect(legacy?.bottleneck.stage).toMatch(/^RX copy: ntb_transport tasklet/);
    expect(formatTable(rep)).toContain('mq2-perbit-udp');
  }, 120_000);

  it('is deterministic, and timing and functional modes give the same numbers', () => {
    const s = scenario('mq1-tcp');
    const a = runScenario(s, { seed: 9, durationS: 1, payload: 'timing' });
    const b = runScenario(s, { seed: 9, durationS: 1, payload: 'timing' });
    const f = runScenario(s, { seed: 9, durationS: 1, payload: 'functional' });
    const c = runScenario(s, { seed: 10, durationS: 1, payload: 'timing' });
    expect(b).toEqual(a);
    expect({ mbps: f.mbps, events: f.events }).toEqual({ mbps: a.mbps, events: a.events });
    expect(c.mbps).not.toBe(a.mbps);
  }, 120_000);
});

const chromium = '/usr/bin/chromium';
describe.skipIf(!existsSync(chromium) && process.env.CI !== 'true')('report.html in headless Chromium', () => {
  it('opens offline with no console errors and the charts drawn', async () => {
    const { chromium: pw } = await import('playwright-core');
    const dir = mkdtempSync(join(tmpdir(), 'ntbsim-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, reportHtml(await shortReport()));
    const browser = await pw.launch({ executablePath: chromium, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) errors.push(`network request: ${r.url()}`);
      });
      await page.goto(`file://${file}`);
      expect(await page.locator('#results tbody tr').count()).toBe(2);
      expect(await page.locator('#throughput rect.bar').count()).toBe(2);
      expect(await page.locator('svg.util-chart rect.util').count()).toBeGreaterThan(0);
      const box = await page.locator('#throughput').boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(100);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
