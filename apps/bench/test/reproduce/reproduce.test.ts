import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportHtml } from '../../src/reproduce/report.js';
import { comparedRuns, formatTable, JobError, medianRunIndex, queueSpreadNotes, ranOnOneQueue, reproduce, resultOf, returnPathNotes, runSeed, unevenRxNotes, type Job, type ReproduceReport, type ScenarioResult } from '../../src/reproduce/reproduce.js';
import { bootScenario, maxMeanRttMs, queueShares, runScenario, TIMELINE_NS } from '../../src/reproduce/run.js';
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
    // The median run's timeline: a TIMELINE_NS window inside the run, slices in it that never
    // overlap on a CPU, and the bottleneck's CPU busy through nearly all of it.
    for (const s of rep.scenarios) {
      const tl = s.timeline;
      expect(tl).toBeDefined();
      if (tl === undefined) continue;
      expect(tl.lenNs).toBe(TIMELINE_NS);
      expect(tl.fromNs).toBeGreaterThan(0);
      expect(tl.fromNs + tl.lenNs).toBeLessThanOrEqual(rep.duration_s * 1e9);
      expect(tl.cpus).toEqual({ rc: 8, ep: 8 });
      const ends = new Map<string, number>();
      for (const x of tl.slices) {
        expect(x.startNs).toBeGreaterThanOrEqual(0);
        expect(x.startNs).toBeLessThan(tl.lenNs);
        expect(x.durNs).toBeGreaterThan(0);
        expect(['hardirq', 'softirq', 'kthread', 'user']).toContain(x.kind);
        const key = `${x.board}/${x.cpu}`;
        expect(x.startNs).toBeGreaterThanOrEqual(ends.get(key) ?? 0);
        ends.set(key, x.startNs + x.durNs);
      }
      const busy = tl.slices.filter((x) => x.board === s.bottleneck.board && x.cpu === s.bottleneck.cpu).reduce((a, x) => a + Math.min(x.durNs, tl.lenNs - x.startNs), 0);
      expect(busy / tl.lenNs).toBeGreaterThan(0.9);
    }
    const [legacy, perbit] = rep.scenarios;
    expect((perbit?.mean_mbps ?? 0) / (legacy?.mean_mbps ?? 1)).toBeGreaterThan(1.6);
    expect(legacy?.bottleneck.stage).toMatch(/^RX copy: ntb_transport tasklet/);
    expect(formatTable(rep)).toContain('mq2-perbit-udp');
    expect(formatTable(rep)).not.toContain('The published figures were measured on two R-Car S4 boards');
    expect(formatTable({ ...rep, profile: 'x86-server' }).replace(/\n {2}(?=\S)/g, ' ')).toContain('The published figures were measured on two R-Car S4 boards; on the x86-server profile the Δ column is how far this platform\'s prediction is from them, not a model error.');
  }, 120_000);

  it('is deterministic, and timing and functional modes give the same numbers', () => {
    const s = scenario('mq1-tcp');
    const a = runScenario(s, { seed: 9, durationS: 1, payload: 'timing' });
    const b = runScenario(s, { seed: 9, durationS: 1, payload: 'timing' });
    const f = runScenario(s, { seed: 9, durationS: 1, payload: 'functional' });
    const c = runScenario(s, { seed: 10, durationS: 1, payload: 'timing' });
    expect(b).toEqual(a);
    expect({ mbps: f.mbps, events: f.events }).toEqual({ mbps: a.mbps, events: a.events });
    // A traced window reads the model and changes nothing in the run (but for the two events that start and stop it).
    const traced = runScenario(s, { seed: 9, durationS: 1, payload: 'timing', timeline: true });
    expect(traced.timeline?.slices.length).toBeGreaterThan(10);
    expect({ ...traced, timeline: undefined, events: traced.events - 2 }).toEqual(a);
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

  it('lists the runs whose ACKs queued on the way back, and the mean of the other compared runs against the published figure', async () => {
    const note = "rc's ntb0 TX queue 0 held 830 packets on average in its qdisc, stopped 523 times for want of ring slots; the streams' RTT up to 1.33 s";
    const row = { id: 'mq2-perbit-tcp', published_mbps: 1150, published: { mean: 1150, source: 's', condition: 'flows-distributed' }, runs_mbps: [1180, 936.7, 590, 1170], runs_tx_queue_share: [[0.5, 0.5], [0.6, 0.4], [1, 0], [0.5, 0.5]], runs_return_path: ['', note, '', ''] } as unknown as ScenarioResult;
    expect(returnPathNotes([row])).toEqual([
      '',
      "Runs whose ACKs queued on the way back (the receiving board's own ntb0 TX queue; its ring drains as the peer takes frames out, a stopped queue waits for its tx_timer):",
      `  mq2-perbit-tcp   run 2 (936.7 Mb/s): ${note}`,
      '  mq2-perbit-tcp   the other 2 on several queues: mean 1175.0 Mb/s (+2.2% vs published)',
    ]);
    const plain = { ...row, published: { mean: 1150, source: 's' } } as unknown as ScenarioResult;
    expect(returnPathNotes([plain])[3]).toBe('  mq2-perbit-tcp   the other 3: mean 980.0 Mb/s (-14.8% vs published)');
    expect(returnPathNotes([{ ...row, runs_return_path: ['', '', '', ''] }])).toEqual([]);
    const rep = await shortReport();
    expect(rep.scenarios.every((s) => s.runs_return_path.length === s.runs_mbps.length)).toBe(true);
    const hit = { ...rep, scenarios: rep.scenarios.map((s) => (s.id === 'mq2-perbit-udp' ? { ...s, runs_return_path: s.runs_mbps.map(() => 'queue 0 held') } : s)) };
    expect(reportHtml(hit)).toMatch(/<p id="return-path">Runs whose ACKs queued on the way back .*<\/p><ul><li>mq2-perbit-udp +run 1 \([\d.]+ Mb\/s\): queue 0 held<\/li>/);
    expect(formatTable(hit)).toContain('Runs whose ACKs queued on the way back');
    expect(reportHtml(rep)).not.toContain('id="return-path"');
  }, 120_000);

  it("boots both boards' ntb0 with the configuration's default qdisc (mq over one per TX queue), pfifo_fast otherwise", () => {
    const opts = { seed: 1, durationS: 1, payload: 'timing' } as const;
    const kinds = (lab: ReturnType<typeof bootScenario>): string[] =>
      [lab.boards.rc, lab.boards.ep].flatMap((b) => {
        const dev = b.netdev()?.ndev;
        return dev === undefined ? [] : [dev.rootQdiscKind, ...Array.from({ length: dev.realNumTxQueues }, (_, i) => dev.txQueue(i).qdisc.kind)];
      });
    expect(kinds(bootScenario({ ...scenario('mq2-perbit-tcp'), sysctl: { 'net.core.default_qdisc': 'fq_codel' } }, opts))).toEqual(['mq', 'fq_codel', 'fq_codel', 'mq', 'fq_codel', 'fq_codel']);
    expect(kinds(bootScenario(scenario('baseline-tcp'), opts))).toEqual(['pfifo_fast', 'pfifo_fast', 'pfifo_fast', 'pfifo_fast']);
  });

  it("sets ntb0's txqueuelen on both boards when the configuration gives one, and keeps the default otherwise", () => {
    const opts = { seed: 1, durationS: 1, payload: 'timing' } as const;
    const set = bootScenario({ ...scenario('mq2-perbit-tcp'), txqueuelen: 100 }, opts);
    expect([set.boards.rc.netdev()?.ndev.txqueuelen, set.boards.ep.netdev()?.ndev.txqueuelen]).toEqual([100, 100]);
    const dflt = bootScenario(scenario('mq2-perbit-tcp'), opts);
    expect([dflt.boards.rc.netdev()?.ndev.txqueuelen, dflt.boards.ep.netdev()?.ndev.txqueuelen]).toEqual([1000, 1000]);
  });

  it('RC → EP: with polled EP doorbells every QP\'s RX tasklet runs on the CPU of the EP\'s poll work; with EP doorbell IRQs spread, on the IRQs\' CPUs', () => {
    const reverse = { ...scenario('mq2-perbit-udp'), direction: 'rc-to-ep' as const };
    // A seed whose four streams hash onto both of the RC's TX queues.
    const opts = { seed: 7920, durationS: 2, payload: 'timing' } as const;
    const polled = runScenario(reverse, opts).bottleneck;
    expect(polled.rxQueues.ep.map((q) => q.qp)).toEqual([0, 1]);
    expect(new Set(polled.rxQueues.ep.map((q) => q.cpu)).size).toBe(1);
    expect(polled.rxQueues.ep[0]?.busyPct).toBeGreaterThan(95);
    const irq = runScenario({ ...reverse, epDoorbell: 'irq' }, opts).bottleneck;
    expect(irq.rxQueues.ep.map((q) => q.cpu)).toEqual([1, 2]);
  }, 60_000);

  it("sets ntb0's MTU on both boards once up and waits for the queue pairs to come back; one the device refuses fails the run, naming it", () => {
    const opts = { seed: 1, durationS: 1, payload: 'timing' } as const;
    const l = bootScenario({ ...scenario('mq2-perbit-tcp'), mtu: 9000 }, opts);
    for (const b of [l.boards.rc, l.boards.ep]) {
      expect(b.netdev()?.ndev.mtu).toBe(9000);
      expect(b.netdev()?.queues.every((q) => q.qp.linkQuery())).toBe(true);
    }
    // 9000-byte frames, one per 64 KiB slot: far below the default MTU's ~600 Mb/s.
    const small = runScenario({ ...scenario('baseline-udp'), mtu: 9000 }, opts).mbps;
    expect(small).toBeGreaterThan(20);
    expect(small).toBeLessThan(300);
    expect(() => bootScenario({ ...scenario('baseline-tcp'), mtu: 65535 }, opts)).toThrow(/^ip link set ntb0 mtu 65535 on rc: .*\(ntb_netdev takes 68\.\.65510: max_size − ETH_HLEN\)$/);
  });

  it("sets the RPS map and RFS tables of every ntb0 RX queue on the receiving board only; they lift one queue's rate a little; a mask of no CPU the board has fails the run", () => {
    const opts = { seed: 1, durationS: 2, payload: 'timing' } as const;
    const rps = (lab: ReturnType<typeof bootScenario>, b: 'rc' | 'ep'): number[] => {
      const dev = lab.boards[b].netdev()?.ndev;
      return dev === undefined ? [] : Array.from({ length: dev.realNumRxQueues }, (_, q) => dev.rpsCpus(q));
    };
    const l = bootScenario({ ...scenario('mq2-perbit-tcp'), rpsCpus: 0xf0 }, opts);
    expect([rps(l, 'rc'), rps(l, 'ep')]).toEqual([[0xf0, 0xf0], [0, 0]]);
    const r = bootScenario({ ...scenario('mq2-perbit-tcp'), rpsCpus: 0xf0, direction: 'rc-to-ep' }, opts);
    expect([rps(r, 'rc'), rps(r, 'ep')]).toEqual([[0, 0], [0xf0, 0xf0]]);
    const plain = runScenario(scenario('mq1-udp'), opts).mbps;
    const steered = runScenario({ ...scenario('mq1-udp'), rpsCpus: 0xfe }, opts).mbps;
    expect(steered).toBeGreaterThan(plain * 1.01);
    expect(steered).toBeLessThan(plain * 1.1);
    expect(() => bootScenario({ ...scenario('baseline-tcp'), rpsCpus: 0x100 }, opts)).toThrow(/^rps_cpus 100 on rc: .*no online CPU/);
    // RFS: the receiver's tables, and the stack's work on the server's CPU, not the RX CPU.
    const rfs = bootScenario({ ...scenario('mq1-udp'), rfs: true }, opts);
    expect([rfs.boards.rc.stack.sysctl.rpsSockFlowEntries, rfs.boards.rc.netdev()?.ndev.rpsFlowCnt(0), rfs.boards.ep.stack.sysctl.rpsSockFlowEntries]).toEqual([32768, 2048, 0]);
    const withRfs = runScenario({ ...scenario('mq1-tcp'), rfs: true }, opts).mbps;
    expect(withRfs).toBeGreaterThan(runScenario(scenario('mq1-tcp'), opts).mbps * 1.02);
  });

  it("reads the streams' largest mean RTT (ms) from iperf3's JSON, none for UDP", () => {
    expect(maxMeanRttMs({ end: { streams: [{ sender: { mean_rtt: 27_400 } }, { sender: { mean_rtt: 1_330_000 } }] } })).toBe(1330);
    expect(maxMeanRttMs({ end: { streams: [{ udp: { jitter_ms: 0.1 } }] } })).toBeNull();
    expect(maxMeanRttMs({})).toBeNull();
  });

  it('puts the one-queue runs in the report under the table, and nothing when there are none', async () => {
    const rep = await shortReport();
    expect(reportHtml({ ...rep, scenarios: rep.scenarios.map((s) => ({ ...s, one_queue_runs: 0 })) })).not.toContain('id="queue-spread"');
    const hit = { ...rep, scenarios: rep.scenarios.map((s) => (s.queues > 1 ? { ...s, one_queue_runs: 1, runs_tx_queue_share: [[0, 1]] } : s)) };
    expect(reportHtml(hit)).toMatch(/<p id="queue-spread">Runs on one TX queue .*<\/p><ul><li>mq2-perbit-udp +1 of 1 runs \([\d.]+ Mb\/s\)<\/li><\/ul>/);
  }, 120_000);
});

/** A report whose per-bit row has one run on one TX queue: Δ over the other. */
async function conditionedReport(): Promise<ReproduceReport> {
  const rep = await shortReport();
  return {
    ...rep,
    scenarios: rep.scenarios.map((s) =>
      s.id === 'mq2-perbit-udp'
        ? { ...s, runs_mbps: [1230, 600, 1220], runs_tx_queue_share: [[0.5, 0.5], [1, 0], [0.45, 0.55]], one_queue_runs: 1, compared_runs: 2, compared_mean_mbps: 1225, delta_pct: 3.8, delta_all_runs_pct: -14.4, mean_mbps: 1016.7, sd_mbps: 360.2, runs_uneven_rx: ['', '', ''], runs_stage: ['x', 'x', 'x'] }
        : s,
    ),
  };
}

describe('the reproduce report and table', () => {
  it('plots the mean the Δ is over beside the all-runs bar, marks one-queue runs, and says so in text', async () => {
    const html = reportHtml(await conditionedReport());
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html.match(/<path class="compared"/g)).toHaveLength(1);
    expect(html.match(/<circle class="run one-queue"/g)).toHaveLength(1);
    expect(html).not.toContain('ack-bound');
    expect(html).toMatch(/<g class="legend">.*TCP mean.*UDP mean.*run on one TX queue.*mean the Δ is over.*published<\/text>.*run whose ACKs queued on the way back \(its streams window-bound\)<\/text><\/g>/);
    const rep = await conditionedReport();
    const held = { ...rep, scenarios: rep.scenarios.map((s) => (s.id === 'mq2-perbit-udp' ? { ...s, runs_return_path: ['', '', "rc's ntb0 TX queue 0 held 830 packets"] } : s)) };
    expect(reportHtml(held)).toMatch(/<circle class="run ack-bound" [^>]*fill="#f1ce63"[^>]*><title>mq2-perbit-udp run 3: 1220\.0 Mb\/s, its ACKs queued on the way back: rc's ntb0 TX queue 0 held 830 packets<\/title><\/circle>/);
    // The Δ basis, every run's Δ and the v3 figure are on the page, under the table and the chart.
    expect(html).toContain('<div id="delta-notes" class="note"><p>† Δ against a figure measured with the flows distributed across the queues:</p><ul><li><b>mq2-perbit-udp</b>: Δ over the 2 of 3 runs whose flows used several queues, as published (mean 1225.0 Mb/s); all runs -14.4%; v3 published 1160: +5.6%</li></ul></div>');
    expect(html).toMatch(/<ul id="throughput-notes" class="note"><li><b>mq2-perbit-udp<\/b>: bar = mean of all 3 runs, 1016\.7 Mb\/s \(-14\.4% vs published 1180\); ◆ = mean of the 2 runs whose flows used several queues, 1225\.0 Mb\/s \(Δ \+3\.8%\)/);
    expect(html).toContain('>+3.8%<sup>†</sup></td>');
    expect(html).toContain('<th>mean (Mb/s)</th>');
    expect(html).toMatch(/<svg id="throughput" class="chart" [^>]*viewBox="0 0 760 \d+"[^>]*style="max-width:760px"/);
    expect(html).toContain('<div class="scroll"><table id="results">');
    expect(html).toContain('>throughput (Mb/s)</text>');
  }, 120_000);

  it('shows SD n/a for one run, + on positive percentages, and a 0–100 % scale on the CPU charts', async () => {
    const rep = await shortReport();
    const html = reportHtml(rep);
    expect(html).toMatch(/<tr><td>baseline-udp<\/td>(<td>[\d.]+<\/td>){4}<td>n\/a<\/td><td><\/td><td>598<\/td><td>[+-][\d.]+%<\/td>/);
    expect(html).toMatch(/<tr><td>mq2-perbit-udp<\/td>(<td>[\d.]+<\/td>){4}<td>n\/a<\/td><td>\+[\d.]+%<\/td>/);
    const util = /<svg class="chart util-chart"[^]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect([...util.matchAll(/<line class="scale"[^>]*\/><text[^>]*>(\d+)%<\/text>/g)].map((m) => Number(m[1]))).toEqual([0, 25, 50, 75, 100]);
  }, 120_000);

  it('keeps the terminal table within 100 columns with no trailing spaces, notes on indented continuation lines', async () => {
    const rep = await conditionedReport();
    const text = formatTable({ ...rep, profile: 'x86-server', scenarios: rep.scenarios.map((s) => (s.id === 'mq2-perbit-udp' ? { ...s, runs_uneven_rx: ['', "qp1's RX CPU (cpu2) only 79 % busy: its flows did not bring it enough packets; rc's own ntb0 TX queues (ACKs and replies back) stopped 94/0 times for want of ring slots", ''] } : s)) });
    // Every line within 100 columns, none ending in a space.
    expect(text.split('\n').filter((l) => l.length > 100 || l !== l.trimEnd())).toEqual([]);
    expect(text).toMatch(/^mq2-perbit-udp +1016\.7 .* +\+3\.8%\n {17}Δ over the 2 of 3 runs whose flows used several queues, as published \(mean 1225\.0\n {19}Mb\/s\); all runs -14\.4%; v3 published 1160: \+5\.6%$/m);
    expect(text).toMatch(/^baseline-udp .* n\/a /m);
    expect(text).toMatch(/^ {2}mq2-perbit-udp {3}run 2 \(600\.0 Mb\/s\): qp1's RX CPU .*\n {19}\S/m);
  }, 120_000);
});

const chromium = '/usr/bin/chromium';
describe.skipIf(!existsSync(chromium) && process.env.CI !== 'true')('report.html in headless Chromium', () => {
  it('opens offline with no console errors and the charts drawn', async () => {
    const { chromium: pw } = await import('playwright-core');
    const dir = mkdtempSync(join(tmpdir(), 'ntbsim-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, reportHtml(await shortReport()));
    const conditioned = join(dir, 'conditioned.html');
    writeFileSync(conditioned, reportHtml(await conditionedReport()));
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
      expect(await page.locator('svg.timeline-chart').count()).toBe(2);
      expect(await page.locator('svg.timeline-chart rect.slice').count()).toBeGreaterThan(20);
      const box = await page.locator('#throughput').boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(100);
      expect(errors).toEqual([]);
      // On a phone the charts scale down and the table scrolls in its box: the page does not widen.
      await page.setViewportSize({ width: 390, height: 844 });
      const narrow = { page: await page.evaluate<number>('document.documentElement.scrollWidth'), chart: (await page.locator('#throughput').boundingBox())?.width ?? 0, util: (await page.locator('svg.util-chart').first().boundingBox())?.width ?? 0 };
      expect(narrow.page).toBeLessThanOrEqual(390);
      expect(narrow.chart).toBeLessThanOrEqual(390);
      expect(narrow.chart).toBeGreaterThan(200);
      expect(narrow.util).toBeLessThanOrEqual(390);
      expect((await page.locator('svg.timeline-chart').first().boundingBox())?.width ?? 0).toBeLessThanOrEqual(390);
      // The Δ notes are on the page as text, not only in a title.
      await page.goto(`file://${conditioned}`);
      expect(await page.locator('#delta-notes').isVisible()).toBe(true);
      expect(await page.locator('#throughput-notes').innerText()).toContain('mean of the 2 runs whose flows used several queues');
      expect(await page.locator('#throughput path.compared').count()).toBe(1);
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
