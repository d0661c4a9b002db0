import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportHtml } from '../../src/reproduce/report.js';
import { comparedRuns, formatTable, JobError, medianRunIndex, queueSpreadNotes, ranOnOneQueue, reproduce, resultOf, runSeed, unevenRxNotes, type Job, type ReproduceReport, type ScenarioResult } from '../../src/reproduce/reproduce.js';
import { queueShares, runScenario } from '../../src/reproduce/run.js';
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

describe('the median run (whose bottleneck a scenario reports)', () => {
  it('is the run of median rate, the lower middle of an even count, ties in run order', () => {
    expect(medianRunIndex([1068.1, 585.7, 1167.7])).toBe(0);
    expect(medianRunIndex([585.7, 1167.7, 1068.1])).toBe(2);
    expect(medianRunIndex([5, 1, 3, 2])).toBe(3);
    expect(medianRunIndex([7, 7, 7])).toBe(1);
    expect(medianRunIndex([42])).toBe(0);
  });
});

describe('reproduce (short, in-process)', () => {
  it('writes the documented JSON schema with numbers from the model', async () => {
    const rep = await shortReport();
    expect(rep).toMatchObject({ profile: 'rcar-s4', mode: 'timing', runs: 1, duration_s: 1 });
    for (const k of ['wall_s', 'events_per_s', 'sim_s_per_wall_s'] as const) expect(rep[k]).toBeGreaterThan(0);
    expect({ seed: rep.seed, run_seeds: rep.run_seeds }).toEqual({ seed: 1, run_seeds: [runSeed(1, 0)] });
    expect(rep.profile_digest).toMatch(/^[0-9a-f]{16}$/);
    expect(Date.parse(rep.date)).not.toBeNaN();
    expect(rep.scenarios.map((s) => s.median_run)).toEqual([0, 0]);
    expect(rep.scenarios.map((s) => s.id)).toEqual(['baseline-udp', 'mq2-perbit-udp']);
    for (const s of rep.scenarios) {
      expect(Object.keys(s)).toEqual(expect.arrayContaining(['id', 'protocol', 'queues', 'doorbell', 'runs_mbps', 'mean_mbps', 'min_mbps', 'max_mbps', 'median_mbps', 'sd_mbps', 'published_mbps', 'bottleneck']));
      expect(s.runs_mbps).toHaveLength(1);
      expect(s.mean_mbps).toBeGreaterThan(100);
      expect(s.bottleneck.busyPct).toBeGreaterThan(50);
    }
    for (const s of rep.scenarios) {
      expect(s.runs_tx_queue_share).toHaveLength(1);
      const shares = s.runs_tx_queue_share[0] ?? [];
      expect(shares).toHaveLength(s.queues);
      expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
      expect(s.one_queue_runs).toBe(shares.length > 1 && Math.max(...shares) >= 0.95 ? 1 : 0);
    }
    const [legacy, perbit] = rep.scenarios;
    expect((perbit?.mean_mbps ?? 0) / (legacy?.mean_mbps ?? 1)).toBeGreaterThan(1.6);
    expect(legacy?.bottleneck.stage).toMatch(/^RX copy: ntb_transport tasklet/);
    expect(formatTable(rep)).toContain('mq2-perbit-udp');
    expect(formatTable(rep)).not.toContain('The published figures were measured on two R-Car S4 boards');
    expect(formatTable({ ...rep, profile: 'x86-server' })).toContain('The published figures were measured on two R-Car S4 boards; on the x86-server profile the Δ column is how far this platform\'s prediction is from them, not a model error.');
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
    const pinned = runScenario({ ...s, serverCpu: 0 }, { seed: 9, durationS: 1, payload: 'timing' });
    expect(pinned.mbps).toBeLessThan(a.mbps);
    expect(() => runScenario({ ...s, serverCpu: 31 }, { seed: 9, durationS: 1, payload: 'timing' })).toThrow('iperf3 server: iperf3: error - unable to set CPU affinity: Invalid argument');
  }, 120_000);
});

describe('queue spread', () => {
  it('shares each queue\'s bytes sent between two counter readings', () => {
    expect(queueShares([100, 50], [1100, 3050])).toEqual([0.25, 0.75]);
    expect(queueShares([0, 0], [0, 0])).toEqual([0, 0]);
    expect(queueShares([], [10])).toEqual([1]);
  });

  it('counts a run as on one queue only with several queues and one carrying >= 95 %', () => {
    expect(ranOnOneQueue([1])).toBe(false);
    expect(ranOnOneQueue([0.96, 0.04])).toBe(true);
    expect(ranOnOneQueue([0.94, 0.06])).toBe(false);
    expect(ranOnOneQueue([0, 0, 1, 0])).toBe(true);
  });

  it('compares a figure published with the flows distributed across the queues with the runs whose flows used several queues, others with every run', () => {
    const shares = [[0.5, 0.5], [0, 1], [0.52, 0.48]];
    expect(comparedRuns({ mean: 1150, source: 'x', condition: 'flows-distributed' }, [1170, 590, 1180], shares)).toEqual({ runs: 2, mean: 1175 });
    expect(comparedRuns({ mean: 1150, source: 'x' }, [1170, 590, 1180], shares)).toEqual({ runs: 3, mean: 980 });
    expect(comparedRuns({ mean: 1150, source: 'x', condition: 'flows-distributed' }, [590], [[0, 1]])).toEqual({ runs: 1, mean: 590 });
    expect(scenario('mq2-perbit-tcp').published).toMatchObject({ mean: 1150, condition: 'flows-distributed', also: { value: 1130 } });
    expect(scenario('mq2-legacy-tcp').published.condition).toBeUndefined();
  });

  it('notes the one-queue runs of a row and the mean of the others against the published figure', () => {
    const row = { id: 'mq2-perbit-tcp', queues: 2, published_mbps: 1150, runs_mbps: [1170, 590, 1180], runs_tx_queue_share: [[0.5, 0.5], [0, 1], [0.52, 0.48]], one_queue_runs: 1 } as unknown as ScenarioResult;
    const notes = queueSpreadNotes([row]);
    expect(notes.join('\n')).toContain('mq2-perbit-tcp   1 of 3 runs (590.0 Mb/s); the other 2: mean 1175.0 (+2.2% vs published)');
    expect(queueSpreadNotes([{ ...row, one_queue_runs: 0 }])).toEqual([]);
  });

  it('lists the runs whose bottleneck left an RX CPU short, by scenario and run, in the text and the report', async () => {
    const row = { id: 'mq2-perbit-tcp', runs_mbps: [1170, 873.8], runs_uneven_rx: ['', "qp1's RX CPU (cpu2) only 44 % busy: its flows did not bring it enough packets"] } as unknown as ScenarioResult;
    expect(unevenRxNotes([row])).toEqual(['', 'Runs with an RX CPU left short while another was saturated:', "  mq2-perbit-tcp   run 2 (873.8 Mb/s): qp1's RX CPU (cpu2) only 44 % busy: its flows did not bring it enough packets"]);
    expect(unevenRxNotes([{ ...row, runs_uneven_rx: ['', ''] }])).toEqual([]);
    const rep = await shortReport();
    expect(rep.scenarios.every((s) => s.runs_uneven_rx.length === s.runs_mbps.length && s.runs_stage.length === s.runs_mbps.length)).toBe(true);
    const hit = { ...rep, scenarios: rep.scenarios.map((s) => (s.id === 'mq2-perbit-udp' ? { ...s, runs_uneven_rx: s.runs_mbps.map(() => 'qp1 short') } : s)) };
    expect(reportHtml(hit)).toMatch(/<p id="uneven-rx">Runs with an RX CPU left short while another was saturated:<\/p><ul><li>mq2-perbit-udp +run 1 \([\d.]+ Mb\/s\): qp1 short<\/li>/);
    expect(reportHtml(rep)).not.toContain('id="uneven-rx"');
  }, 120_000);

  it('puts the one-queue runs in the report under the table, and nothing when there are none', async () => {
    const rep = await shortReport();
    expect(reportHtml({ ...rep, scenarios: rep.scenarios.map((s) => ({ ...s, one_queue_runs: 0 })) })).not.toContain('id="queue-spread"');
    const hit = { ...rep, scenarios: rep.scenarios.map((s) => (s.queues > 1 ? { ...s, one_queue_runs: 1, runs_tx_queue_share: [[0, 1]] } : s)) };
    expect(reportHtml(hit)).toMatch(/<p id="queue-spread">Runs on one TX queue .*<\/p><ul><li>mq2-perbit-udp +1 of 1 runs \([\d.]+ Mb\/s\)<\/li><\/ul>/);
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

describe('failed jobs of the fixed matrix', () => {
  it('are an error naming the scenario, the run, its seed and why', () => {
    const job: Job = { config: scenario('mq1-tcp'), run: 2, options: { seed: 15839, durationS: 1, payload: 'timing' } };
    expect(() => resultOf('reproduce', job, { ok: false, error: 'iperf3 client: error - control socket has closed unexpectedly', stall: 'ep ntb0 TX queue 0 stopped for good' })).toThrow(
      'reproduce: mq1-tcp run 3 (seed 15839) failed: iperf3 client: error - control socket has closed unexpectedly (ep ntb0 TX queue 0 stopped for good)',
    );
    expect(new JobError('calibrate', job, { ok: false, error: 'EpfError: x', stall: null }).message).toBe('calibrate: mq1-tcp run 3 (seed 15839) failed: EpfError: x');
  });
});
