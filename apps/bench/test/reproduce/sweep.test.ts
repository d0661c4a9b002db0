import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getProfile } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { describeBase, expandGrid, formatSweepTable, mergeSweeps, parseGrid, parseShard, sweep, sweepHtml, sweepRows, sweepSvg, type SweepResults } from '../../src/reproduce/sweep.js';

describe('sweep grids', () => {
  it('parses axes and expands their cartesian product in order', () => {
    const grid = parseGrid(['queues=1,2,4', 'doorbell=legacy,per-bit', 'hz=250,1000']);
    const pts = expandGrid(grid);
    expect(pts).toHaveLength(12);
    expect(pts[0]?.id).toBe('queues=1,doorbell=legacy,hz=250');
    expect(pts[11]?.id).toBe('queues=4,doorbell=per-bit,hz=1000');
    expect(pts[11]?.config).toMatchObject({ queues: 4, doorbell: 'per-bit', spreadIrqs: true, protocol: 'tcp' });
    expect(pts[1]?.profilePatch).toEqual({ kernel: { hz: { value: 1000 } } });
    expect(expandGrid(parseGrid(['use_dma=1', 'tx_memcpy_offload=1', 'transport_mtu=32768']))[0]?.config.transport).toEqual({ useDma: true, txMemcpyOffload: true, transportMtu: 32768 });
    expect(expandGrid(parseGrid(['use_rx_dma=1', 'num_rx_dma_chan=2', 'use_tx_dma=0', 'num_tx_dma_chan=3']))[0]?.config.transport).toEqual({ useRxDma: true, numRxDmaChan: 2, useTxDma: false, numTxDmaChan: 3 });
    const pp = expandGrid(parseGrid(['profile=rcar-s4,x86-server', 'dma_channels=0,2', 'hz=1000']));
    expect(pp.map((x) => [x.id, x.profileName, x.profilePatch])).toEqual([
      ['profile=rcar-s4,dma_channels=0,hz=1000', 'rcar-s4', { kernel: { hz: { value: 1000 } }, dma: { channels: { value: 0 } } }],
      ['profile=rcar-s4,dma_channels=2,hz=1000', 'rcar-s4', { kernel: { hz: { value: 1000 } }, dma: { channels: { value: 2 } } }],
      ['profile=x86-server,dma_channels=0,hz=1000', 'x86-server', { kernel: { hz: { value: 1000 } }, dma: { channels: { value: 0 } } }],
      ['profile=x86-server,dma_channels=2,hz=1000', 'x86-server', { kernel: { hz: { value: 1000 } }, dma: { channels: { value: 2 } } }],
    ]);
    expect(expandGrid(parseGrid(['queues=2']))[0]?.profileName).toBeUndefined();
    expect(expandGrid(parseGrid(['server_cpu=any,0,3'])).map((x) => x.config.serverCpu)).toEqual([undefined, 0, 3]);
    expect(expandGrid(parseGrid(['ep_doorbell=poll,irq'])).map((x) => x.config.epDoorbell)).toEqual(['poll', 'irq']);
    expect(expandGrid(parseGrid(['queues=2']))[0]?.config.epDoorbell).toBeUndefined();
    expect(expandGrid(parseGrid(['wake_timer=hrtimer', 'hrtimer_mode=soft,hard'])).map((x) => [x.config.wakeTimer, x.config.hrtimerMode])).toEqual([
      ['hrtimer', 'soft'],
      ['hrtimer', 'hard'],
    ]);
    expect(() => parseGrid(['hrtimer_mode=pinned'])).toThrow('sweep: hrtimer_mode=pinned: allowed soft | hard');
    expect(describeBase({ netdev: { wakeTimer: 'hrtimer', hrtimerMode: 'hard' } })).toEqual(['ntb_netdev.wake_timer=hrtimer', 'ntb_netdev.hrtimer_mode=hard']);
  });

  it('puts every point on the base configuration, an axis overriding what it names', () => {
    const base = { transport: { useDma: true, transportMtu: 32768 }, netdev: { queues: 2, wakeTimer: 'hrtimer' as const, variant: 'baseline' as const }, doorbell: 'legacy' as const, mws: 3 };
    const [p] = expandGrid(parseGrid(['hz=1000']), base);
    expect(p?.config).toMatchObject({ queues: 2, variant: 'baseline', doorbell: 'legacy', mwCount: 3, wakeTimer: 'hrtimer', transport: { useDma: true, transportMtu: 32768 } });
    const [q] = expandGrid(parseGrid(['queues=4', 'use_dma=0', 'doorbell=per-bit', 'mws=1', 'wake_timer=jiffy', 'variant=mq']), base);
    expect(q?.config).toMatchObject({ queues: 4, variant: 'mq', doorbell: 'per-bit', mwCount: 1, wakeTimer: 'jiffy', transport: { useDma: false, transportMtu: 32768 } });
    expect(q?.id).toBe('queues=4,use_dma=0,doorbell=per-bit,mws=1,wake_timer=jiffy,variant=mq');
    const [d] = expandGrid(parseGrid(['hz=1000']));
    expect(d?.config).toMatchObject({ queues: 1, variant: 'mq', doorbell: 'per-bit', transport: {} });
    expect(d?.config.mwCount).toBeUndefined();
    expect(describeBase(base)).toEqual(['ntb_transport.use_dma=1', 'ntb_transport.transport_mtu=32768', 'ntb_netdev.ntb_num_queues=2', 'ntb_netdev.wake_timer=hrtimer', 'ntb_netdev.variant=baseline', 'doorbell=legacy', 'mws=3']);
    const irqBase = { ...base, epDoorbell: 'irq' as const };
    expect(describeBase(irqBase).at(-1)).toBe('ep_doorbell=irq');
    expect(expandGrid(parseGrid(['hz=1000']), irqBase)[0]?.config.epDoorbell).toBe('irq');
    expect(expandGrid(parseGrid(['ep_doorbell=poll']), irqBase)[0]?.config.epDoorbell).toBe('poll');
  });

  it('rejects unknown axes and values, naming what is allowed', () => {
    expect(() => parseGrid(['queuez=1'])).toThrow(/unknown axis 'queuez' \(known: queues, mws/);
    expect(() => parseGrid(['queues=9'])).toThrow('sweep: queues=9: allowed integer 1..8');
    expect(() => parseGrid(['doorbell=msi'])).toThrow('sweep: doorbell=msi: allowed legacy | per-bit');
    expect(() => parseGrid(['ep_doorbell=msi'])).toThrow('sweep: ep_doorbell=msi: allowed poll | irq');
    expect(() => parseGrid(['hz=200'])).toThrow(/hz=200: allowed 100 \| 250 \| 300 \| 1000/);
    expect(() => parseGrid(['queues='])).toThrow(/has no values/);
    expect(() => parseGrid(['profile=rcar-s5'])).toThrow('sweep: profile=rcar-s5: allowed rcar-s4 | x86-server');
    expect(() => parseGrid(['dma_channels=33'])).toThrow('sweep: dma_channels=33: allowed integer 0..32');
    expect(() => parseGrid(['num_rx_dma_chan=0'])).toThrow('sweep: num_rx_dma_chan=0: allowed integer 1..8');
    expect(() => parseGrid(['server_cpu=32'])).toThrow('sweep: server_cpu=32: allowed any | integer 0..31');
    expect(() => parseGrid(['server_cpu=cpu0'])).toThrow('sweep: server_cpu=cpu0: allowed any | integer 0..31');
    expect(() => parseGrid(['congestion=bbr'])).toThrow('sweep: congestion=bbr: allowed cubic | reno');
    expect(expandGrid(parseGrid(['congestion=reno']), {})[0]?.config.congestion).toBe('reno');
    expect(expandGrid(parseGrid(['txqueuelen=1000,100'])).map((x) => x.config.txqueuelen)).toEqual([1000, 100]);
    expect(expandGrid(parseGrid(['queues=2']))[0]?.config.txqueuelen).toBeUndefined();
    for (const bad of ['0', '4294967296', '-1', '1e3', 'many']) expect(() => parseGrid([`txqueuelen=${bad}`])).toThrow(`sweep: txqueuelen=${bad}: allowed integer 1..4294967295 (packets)`);
    expect(expandGrid(parseGrid(['qdisc=pfifo_fast,fq_codel'])).map((x) => x.config.sysctl)).toEqual([{ 'net.core.default_qdisc': 'pfifo_fast' }, { 'net.core.default_qdisc': 'fq_codel' }]);
    expect(() => parseGrid(['qdisc=sfq'])).toThrow('sweep: qdisc=sfq: allowed pfifo_fast | fq_codel (net.core.default_qdisc on both boards)');
    // --sysctl is the base under every point; the qdisc axis overrides its default_qdisc.
    const base = { sysctl: { 'net.core.default_qdisc': 'fq_codel', 'net.ipv4.tcp_congestion_control': 'reno' } };
    expect(expandGrid(parseGrid(['queues=2']), base)[0]?.config.sysctl).toEqual(base.sysctl);
    expect(expandGrid(parseGrid(['qdisc=pfifo_fast']), base)[0]?.config.sysctl).toEqual({ 'net.core.default_qdisc': 'pfifo_fast', 'net.ipv4.tcp_congestion_control': 'reno' });
    expect(describeBase(base)).toEqual(['sysctl net.core.default_qdisc=fq_codel', 'sysctl net.ipv4.tcp_congestion_control=reno']);
    expect(expandGrid(parseGrid(['mtu=1500,65510'])).map((x) => x.config.mtu)).toEqual([1500, 65510]);
    for (const bad of ['67', '65536', 'jumbo']) expect(() => parseGrid([`mtu=${bad}`])).toThrow(`sweep: mtu=${bad}: allowed integer 68..65535 (bytes; ntb0 refuses one above max_size − 14)`);
    expect(expandGrid(parseGrid(['rps=0,fe,F0'])).map((x) => [x.id, x.config.rpsCpus])).toEqual([
      ['rps=0', 0],
      ['rps=fe', 0xfe],
      ['rps=F0', 0xf0],
    ]);
    expect(expandGrid(parseGrid(['rfs=0,1'])).map((x) => x.config.rfs)).toEqual([false, true]);
    expect(() => parseGrid(['rfs=yes'])).toThrow('sweep: rfs=yes: allowed 0 | 1 (RFS on the receiving board: rps_sock_flow_entries 32768, rps_flow_cnt 2048)');
    for (const bad of ['0x1', 'g', '123456789']) expect(() => parseGrid([`rps=${bad}`])).toThrow(`sweep: rps=${bad}: allowed hex CPU mask 0..ffffffff (rps_cpus of ntb0 RX queues on the receiving board; 0 = off)`);
  });

  it('parses shards', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(() => parseShard('0/3')).toThrow(/allowed i\/n/);
    expect(() => parseShard('4/3')).toThrow(/allowed i\/n/);
    expect(() => parseShard('x')).toThrow(/allowed i\/n/);
  });
});

function shard(i: number, n: number, runsOf: (id: string) => number[]): SweepResults {
  const grid = { queues: ['1', '2'], doorbell: ['per-bit'] };
  const pts = expandGrid(grid);
  const jobs = pts.flatMap((p) => [0, 1].map((run) => ({ p, run })));
  const mine = jobs.filter((_, k) => k % n === i - 1);
  const points = pts
    .map((p) => ({ id: p.id, values: { ...p.values }, runs: mine.filter((j) => j.p.id === p.id).map((j) => ({ run: j.run, seed: j.run + 1, mbps: runsOf(p.id)[j.run] ?? 0, bottleneck: 'x', busy_pct: 99 })) }))
    .filter((p) => p.runs.length > 0);
  return { kind: 'ntbsim-sweep', profile: 'rcar-s4', profile_digest: 'abc', seed: 1, duration_s: 1, runs: 2, grid, shards: [`${i}/${n}`], points };
}

/** A one-shard rcar-s4 sweep of `o.points` (seed 1, 1 s runs). */
function sweepOf(o: Pick<SweepResults, 'runs' | 'grid' | 'points'>): SweepResults {
  return { kind: 'ntbsim-sweep', profile: 'rcar-s4', profile_digest: '0123456789abcdef', seed: 1, duration_s: 1, shards: ['1/1'], ...o };
}

describe('merging shards', () => {
  const runsOf = (id: string): number[] => (id.startsWith('queues=1') ? [600, 602] : [1150, 1152]);

  it('joins shards into the whole sweep, in grid order, whatever the shard order', () => {
    const merged = mergeSweeps([shard(2, 3, runsOf), shard(3, 3, runsOf), shard(1, 3, runsOf)]);
    expect(merged.shards).toEqual(['1/3', '2/3', '3/3']);
    expect(merged.points.map((p) => [p.id, p.runs.map((r) => ('mbps' in r ? r.mbps : r.error))])).toEqual([
      ['queues=1,doorbell=per-bit', [600, 602]],
      ['queues=2,doorbell=per-bit', [1150, 1152]],
    ]);
    expect(mergeSweeps([shard(1, 1, runsOf)])).toEqual({ ...merged, shards: ['1/1'] });
  });

  it('refuses shards of different sweeps, naming the files and what differs', () => {
    const names = ['b.json', 'a.json'];
    const differ = (patch: Partial<SweepResults>): unknown => () => mergeSweeps([shard(2, 2, runsOf), { ...shard(1, 2, runsOf), ...patch }], { names });
    expect(differ({ duration_s: 10 })).toThrow('merge: a.json and b.json are from different sweeps: --duration differs (10 vs 1)');
    expect(differ({ seed: 5 })).toThrow('merge: a.json and b.json are from different sweeps: the base seed (--seed) differs (5 vs 1)');
    expect(differ({ grid: { queues: ['1', '2'], doorbell: ['legacy'] } })).toThrow('merge: a.json and b.json are from different sweeps: the grid differs ({"queues":["1","2"],"doorbell":["legacy"]} vs {"queues":["1","2"],"doorbell":["per-bit"]})');
    expect(differ({ profile_digest: 'def' })).toThrow('merge: a.json and b.json are from different sweeps: the profile differs ("rcar-s4 (digest def)" vs "rcar-s4 (digest abc)")');
    expect(differ({ base: { mws: 2 } })).toThrow('merge: a.json and b.json are from different sweeps: the base configuration (--param, --doorbell, --mws, --ep-doorbell, --sysctl) differs ("mws=2" vs "none")');
    expect(differ({ runs: 3 })).toThrow(/--runs differs \(3 vs 2\)/);
    expect(() => mergeSweeps([])).toThrow(/no input files/);
  });

  it('refuses a shard given twice, shards of different splits, and an incomplete set unless partial', () => {
    expect(() => mergeSweeps([shard(1, 3, runsOf), shard(1, 3, runsOf)], { names: ['x.json', 'y.json'] })).toThrow('merge: shard 1/3 is given twice (x.json and y.json)');
    expect(() => mergeSweeps([shard(1, 2, runsOf), shard(2, 3, runsOf)], { names: ['x.json', 'y.json'] })).toThrow('merge: y.json holds shard 2/3 but x.json a shard of 2: the shards of one sweep split it the same way (one n in --shard i/n)');
    expect(() => mergeSweeps([shard(3, 3, runsOf), shard(1, 3, runsOf)])).toThrow('merge: incomplete: shard 2/3 missing (given: 1/3, 3/3); merge them all, or pass --partial to write a partial sweep');
    const partial = mergeSweeps([shard(3, 3, runsOf), shard(1, 3, runsOf)], { partial: true });
    expect(partial).toMatchObject({ partial: true, missing_shards: ['2/3'], shards: ['1/3', '3/3'] });
    expect(formatSweepTable(partial)).toContain('\nPARTIAL: shard 2/3 missing; their runs are not in the table\n');
    expect(sweepHtml(partial)).toContain('<p id="sweep-partial" class="banner"><b>partial: shard 2/3 missing</b>: their runs are not in the table or the chart.</p>');
    // One shard on its own says so, on the page and in the terminal.
    expect(sweepHtml(shard(1, 3, runsOf))).toContain('<p id="sweep-shard" class="banner"><b>one shard: 1/3</b>: this file holds every 3rd run of the sweep; ntb-bench merge joins the shards.</p>');
    expect(formatSweepTable(shard(1, 3, runsOf))).toContain('\nONE SHARD (1/3): this file holds every 3rd run of the sweep; ntb-bench merge joins the shards\n');
    expect(sweepHtml(mergeSweeps([shard(1, 1, runsOf)]))).not.toMatch(/id="sweep-(shard|partial)"/);
    const whole = mergeSweeps([partial, shard(2, 3, runsOf)]);
    expect(whole.partial).toBeUndefined();
    expect(whole.missing_shards).toBeUndefined();
    expect(whole).toEqual(mergeSweeps([shard(1, 3, runsOf), shard(2, 3, runsOf), shard(3, 3, runsOf)]));
    expect(mergeSweeps([shard(1, 1, runsOf)], { partial: true }).partial).toBeUndefined();
  });

  it('draws throughput against queues, a marker per point and a Mb/s scale', () => {
    const svg = sweepSvg(mergeSweeps([shard(1, 1, runsOf)]));
    expect(svg).toContain('<polyline class="series"');
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    // Two points (601 and 1151 Mb/s): two markers, ticks at a 1-2-5 step up to 1.1 × the top.
    expect(svg.match(/<circle class="point"/g)).toHaveLength(2);
    expect([...svg.matchAll(/<line class="ytick"[^>]*\/><text[^>]*>(\d+)<\/text>/g)].map((m) => Number(m[1]))).toEqual([0, 500, 1000]);
  });

  it('draws each point\'s run spread (whiskers, run dots, one-queue runs hollow) and breaks a line at a point with no result', () => {
    const res = mergeSweeps([shard(1, 1, runsOf)]);
    const svg = sweepSvg(res);
    expect(svg.match(/<path class="whisker"/g)).toHaveLength(2);
    expect(svg.match(/<circle class="run"/g)).toHaveLength(4);
    expect(svg).toContain('viewBox="0 0 680 ');
    expect(svg).toContain('min–max of the runs');
    // The x-axis title lies inside the drawing.
    const h = Number(/viewBox="0 0 \d+ (\d+)"/.exec(svg)?.[1]);
    const titleY = Number(/<text class="axis-label" x="[\d.]+" y="([\d.]+)"[^>]*>queues<\/text>/.exec(svg)?.[1]);
    expect(titleY).toBeLessThan(h - 4);
    const oneQueue: SweepResults = { ...res, points: res.points.map((p) => ({ ...p, runs: p.runs.map((r, k) => ({ ...r, tx_queue_share: k === 0 ? [1, 0] : [0.5, 0.5], one_queue: k === 0 })) })) };
    expect(sweepSvg(oneQueue).match(/<circle class="run one-queue"/g)).toHaveLength(2);
    expect(sweepRows(oneQueue).map((r) => r.oneQueue)).toEqual([1, 1]);
    expect(formatSweepTable(oneQueue).replace(/\n +/g, ' ')).toContain('; 1 of 2 runs on one TX queue (flows hashed onto one queue)');
    expect(sweepHtml(oneQueue)).toContain('<th title="runs in which one TX queue carried ≥ 95 % of the bytes (iperf3 streams hashed onto one queue)">runs on one queue</th>');
    const held: SweepResults = { ...res, points: res.points.map((p) => ({ ...p, runs: p.runs.map((r, k) => (k === 1 ? { ...r, return_path: "rc's ntb0 TX queue 0 held 830 packets" } : r)) })) };
    expect(sweepSvg(held)).toMatch(/<circle class="run ack-bound" [^>]*fill="#f1ce63"[^>]*><title>queues=1,doorbell=per-bit run 2: 602\.0 Mb\/s, its ACKs queued on the way back: rc's ntb0 TX queue 0 held 830 packets<\/title>/);
    expect(sweepSvg(held)).toContain('run held back by its ACKs</text>');
    expect(sweepRows(held).map((r) => r.ackBound)).toEqual([1, 1]);
    expect(sweepRows(res).map((r) => r.ackBound)).toEqual([0, 0]);
    expect(formatSweepTable(held).replace(/\n +/g, ' ')).toContain("; 1 of 2 runs held back by their ACKs (queued in the receiver's TX qdisc)");
    expect(formatSweepTable(res)).not.toContain('held back by their ACKs');
    const three: SweepResults = { ...res, grid: { queues: ['1', '2', '4'] }, points: [...res.points, { id: 'queues=4', values: { queues: '4' }, runs: [{ run: 0, seed: 1, error: 'iperf3 client: x', stall: 'stopped for good' }] }, { id: 'queues=8', values: { queues: '8' }, runs: [{ run: 0, seed: 1, mbps: 700, bottleneck: 'x', busy_pct: 50 }] }].map((p) => ({ ...p, values: { queues: p.values.queues ?? '1' } })) };
    const broken = sweepSvg(three);
    expect(broken.match(/<polyline/g)).toHaveLength(1);
    expect(broken.match(/<circle class="point"/g)).toHaveLength(3);
  });

  it('draws a column per point when the grid has no queues axis', () => {
    const res: SweepResults = { ...mergeSweeps([shard(1, 1, runsOf)]), grid: { doorbell: ['legacy', 'per-bit'], protocol: ['tcp'] } };
    const noQ = { ...res, points: res.points.map((p, i) => ({ ...p, id: `doorbell=${i === 0 ? 'legacy' : 'per-bit'},protocol=tcp`, values: { doorbell: i === 0 ? 'legacy' : 'per-bit', protocol: 'tcp' } })) };
    const svg = sweepSvg(noQ);
    expect(svg).not.toContain('<polyline');
    const xs = [...svg.matchAll(/<circle class="point" cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(new Set(xs).size).toBe(2);
    expect(svg).toContain('<tspan x="');
    expect(svg).toContain('>doorbell=per-bit</tspan>');
    expect(svg).toContain('aria-label="throughput per point"');
    expect(sweepHtml(noQ)).toContain('<h2>Throughput per point (Mb/s)</h2>');
  });

  it('keeps the terminal table within 100 columns, with no trailing spaces, and SD n/a for one run', () => {
    const long = 'not CPU-bound (busiest: RX copy: ntb_transport tasklet (memcpy from the uncached RX ring)); ep\'s ntb0 TX queues stopped 750 times on rings with at most 6 slots free, below tx_start 10: only the 1-jiffy tx_timer wakes them';
    const res = sweepOf({
      runs: 2,
      grid: parseGrid(['doorbell=legacy,per-bit', 'protocol=tcp,udp', 'ep_doorbell=poll']),
      points: [
        { id: 'doorbell=legacy,protocol=tcp,ep_doorbell=poll', values: { doorbell: 'legacy', protocol: 'tcp', ep_doorbell: 'poll' }, runs: [{ run: 0, seed: 1, mbps: 583.6, bottleneck: long, busy_pct: 93 }] },
        { id: 'doorbell=per-bit,protocol=udp,ep_doorbell=poll', values: { doorbell: 'per-bit', protocol: 'udp', ep_doorbell: 'poll' }, runs: [{ run: 0, seed: 1, mbps: 612.4, bottleneck: long, busy_pct: 97 }, { run: 1, seed: 7920, error: `iperf3 client: ${long}`, stall: long }] },
      ],
    });
    const text = formatSweepTable(res);
    // Every line within 100 columns, none ending in a space.
    expect(text.split('\n').filter((l) => l.length > 100 || l !== l.trimEnd())).toEqual([]);
    // Ids too long for the line go on a line of their own, the numbers under them.
    expect(text).toMatch(/^doorbell=legacy,protocol=tcp,ep_doorbell=poll\n +1 +583\.6 +583\.6 +583\.6 +n\/a +93% {2}not CPU-bound/m);
    expect(text).toMatch(/^doorbell=per-bit,protocol=udp,ep_doorbell=poll\n +1\/2 +612\.4 /m);
    expect(sweepHtml(res)).toContain('<td>1/2</td><td>612.4</td><td>612.4</td><td>612.4</td><td>612.4</td><td>n/a</td><td>97%</td>');
  });

  it('sweeps any numeric profile parameter as GROUP.FIELD, checked against the profile before anything runs', async () => {
    const pts = expandGrid(parseGrid(['memory.readUncachedMBps=60,100', 'hz=1000']));
    expect(pts.map((x) => [x.id, x.profilePatch])).toEqual([
      ['memory.readUncachedMBps=60,hz=1000', { kernel: { hz: { value: 1000 } }, memory: { readUncachedMBps: { value: 60 } } }],
      ['memory.readUncachedMBps=100,hz=1000', { kernel: { hz: { value: 1000 } }, memory: { readUncachedMBps: { value: 100 } } }],
    ]);
    expect(() => parseGrid(['pcie.lanes=two'])).toThrow("sweep: profile parameter pcie.lanes: 'two' is not a number");
    expect(() => parseGrid(['Memory.x=1'])).toThrow(/unknown axis 'Memory\.x' .*or a profile parameter GROUP\.FIELD/);
    const run = (spec: string) => sweep({ grid: parseGrid([spec]), runs: 1, durationS: 1, profileName: 'rcar-s4', payload: 'timing', workers: 0 });
    await expect(run('memory.nope=1')).rejects.toThrow(/memory\.nope: got \{"value":1\}, no such field/);
    await expect(run('memory.readUncachedMBps=-5')).rejects.toThrow(/memory\.readUncachedMBps\.value: got -5, allowed a number > 0/);
    const ok = await run('memory.readUncachedMBps=39,78');
    const [slow, fast] = ok.points.map((p) => (p.runs[0] as { mbps: number }).mbps);
    expect(fast).toBeGreaterThan(1.5 * (slow ?? Infinity));
  }, 60_000);

  it('takes a profile file as a profile axis value, read and checked before anything runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-profile-'));
    const slow = JSON.parse(JSON.stringify(getProfile('rcar-s4'))) as { name: string; memory: { readUncachedMBps: { value: number } } };
    slow.name = 'slow-rx';
    slow.memory.readUncachedMBps.value = 39;
    const file = join(dir, 'slow.json');
    writeFileSync(file, JSON.stringify(slow));
    const res = await sweep({ grid: parseGrid([`profile=rcar-s4,${file}`]), runs: 1, durationS: 1, profileName: 'rcar-s4', payload: 'timing', workers: 0 });
    const [base, other] = res.points.map((p) => (p.runs[0] as { mbps: number }).mbps);
    expect(other).toBeLessThan(0.7 * (base ?? 0));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...slow, cpu: { ...getProfile('rcar-s4').cpu, count: { ...getProfile('rcar-s4').cpu.count, value: 0 } } }));
    const run = (f: string) => sweep({ grid: parseGrid([`profile=${f}`]), runs: 1, durationS: 1, profileName: 'rcar-s4', payload: 'timing', workers: 0 });
    await expect(run(bad)).rejects.toThrow(/cpu\.count\.value: got 0/);
    await expect(run(join(dir, 'none.json'))).rejects.toThrow(/sweep: profile=.*none\.json: cannot read the file/);
    expect(() => parseGrid(['profile=other'])).toThrow(/sweep: profile=other: allowed rcar-s4 \| x86-server \| a profile file/);
  }, 60_000);

  it('refuses an axis given twice or a value listed twice, naming it', () => {
    expect(() => parseGrid(['queues=1', 'queues=2'])).toThrow("sweep: axis 'queues' given twice (give its values once, comma-separated: queues=1,2)");
    expect(() => parseGrid(['queues=1,1'])).toThrow("sweep: axis 'queues' lists 1 twice");
  });

  it('summarises each point (mean, min, max, median, SD, the median run\'s bottleneck) as a table and a page', () => {
    const res = mergeSweeps([shard(1, 1, runsOf)]);
    expect(sweepRows(res).map((r) => [r.id, r.runs, r.mean, r.min, r.max, r.median])).toEqual([
      ['queues=1,doorbell=per-bit', 2, 601, 600, 602, 601],
      ['queues=2,doorbell=per-bit', 2, 1151, 1150, 1152, 1151],
    ]);
    const text = formatSweepTable(res);
    expect(text.split('\n')[0]).toMatch(/^point +runs +mean +min +max +SD +busy {2}bottleneck \(median run\)$/);
    expect(text).toMatch(/queues=2,doorbell=per-bit +2 +1151\.0 +1150\.0 +1152\.0 +1\.41 +99% {2}x$/m);
    expect(text).toContain('\nmean, min, max, SD: Mb/s over the runs that gave a result (runs k/n: k of n did); busy: the busiest\n  CPU of the median run, whose bottleneck follows.\n');
    const html = sweepHtml(res);
    expect(html.match(/<tr><td>queues=/g)).toHaveLength(2);
    expect(html).toContain('<svg id="sweep"');
  });
});

describe('failed sweep runs', () => {
  it('records a stalled point as a failed row with the model\'s reason, and the sweep goes on', async () => {
    const res = await sweep({ grid: parseGrid(['queues=5,1']), runs: 1, durationS: 1, profileName: 'rcar-s4', payload: 'timing', workers: 0 });
    const [five, one] = res.points;
    expect(five?.runs).toEqual([
      {
        run: 0,
        seed: 1,
        error: expect.stringMatching(/^iperf3 client: /) as string,
        stall: expect.stringMatching(/^(rc|ep) ntb0 TX queues? .*stopped for good: a ring of 3 × 64 KiB slots has at most 2 free < tx_stop 5, so neither a TX completion \(wakes at tx_start 10 free\) nor the tx_timer \(at 5\) wakes it$/) as string,
      },
    ]);
    expect(one?.runs[0]).toMatchObject({ run: 0, mbps: expect.any(Number) as number });
    const table = formatSweepTable(res);
    expect(table).toMatch(/^queues=5 +0\/1 +- +- +- +- +- +stalled$/m);
    expect(table).toMatch(/^queues=1 +1 +\d+\.\d /m);
    expect(table.replace(/\n {4}/g, ' ')).toMatch(/\nFailed runs:\n {2}queues=5 run 1 \(seed 1\): iperf3 client: .*stopped for good: a ring of 3 × 64 KiB slots/);
    expect(sweepHtml(res)).toMatch(/<tr class="failed"><td>queues=5<\/td><td>0\/1<\/td><td>-<\/td>.*<td>stalled<\/td><\/tr>/);
    // The chart marks the stalled point with a ✕ on the axis, labelled.
    expect(sweepSvg(res)).toMatch(/<g class="failure"><path [^>]*\/><text [^>]*>stalled<\/text>/);
    expect(sweepHtml(res)).toContain('<ul id="sweep-failures"><li>queues=5 run 1 (seed 1)');
  }, 120_000);

  it('shows a failure that is not a stall by its error', () => {
    const res = sweepOf({
      runs: 1,
      grid: parseGrid(['queues=2']),
      points: [{ id: 'queues=2', values: { queues: '2' }, runs: [{ run: 0, seed: 1, error: 'iperf3 client: error - control socket has closed unexpectedly' }] }],
    });
    expect(formatSweepTable(res)).toMatch(/^queues=2 +0\/1 +- +- +- +- +- +iperf3 client: error - control socket has\n +closed unexpectedly$/m);
    expect(sweepSvg(res)).toMatch(/<text [^>]*>failed<\/text>/);
    expect(sweepHtml(res)).toContain('<li>queues=2 run 1 (seed 1): iperf3 client: error - control socket has closed unexpectedly');
  });

  it('refuses a server CPU the profile does not have, and a point whose ntb_transport parameters the module refuses, before anything runs', async () => {
    const opts = { runs: 1, durationS: 1, profileName: 'rcar-s4', payload: 'timing', workers: 0 } as const;
    await expect(sweep({ ...opts, grid: parseGrid(['server_cpu=7,8']) })).rejects.toThrow('sweep: server_cpu=8: allowed any or a CPU of the profile, 0..7 (server_cpu=8: rcar-s4 has 8 CPUs)');
    await expect(sweep({ ...opts, grid: parseGrid(['server_cpu=3', 'cpu.count=2,4']) })).rejects.toThrow('sweep: server_cpu=3: allowed any or a CPU of the profile, 0..1 (server_cpu=3,cpu.count=2: rcar-s4 has 2 CPUs)');
    await expect(sweep({ ...opts, grid: parseGrid(['num_tx_dma_chan=2']), base: { transport: { maxNumClients: 99999999999 } } })).rejects.toThrow(/^sweep: num_tx_dma_chan=2: .*max_num_clients/);
  }, 60_000);
});
