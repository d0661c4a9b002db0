import { Simulation, type CpuUsage } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { findBottleneck, QUEUE_SAMPLE_NS, sampleQueues, stageOf, STANDING_QUEUE, type BoardSnapshot, type ReturnPath } from '../../src/reproduce/bottleneck.js';
import type { Lab } from '../../src/lab/lab.js';

const IDLE: CpuUsage = { hardirq: 0, softirq: 0, kthread: 0, user: 0, idle: 0 };

/** A board over a 1 s window: per CPU, busy ns by kind and the context that took them. */
/** What a board's link direction and DMA channels did over the window. */
interface PathWindow {
  /** Payload bytes written across the link (its rate: 1 GB/s). */
  readonly linkBytes?: number;
  readonly stallNs?: number;
  readonly readWaitNs?: number;
  /** Per DMA channel, its transfer time (ns). */
  readonly dmaBusyNs?: readonly number[];
  readonly wakeTimer?: 'jiffy' | 'hrtimer';
}

function board(cpus: { kind?: 'softirq' | 'user' | 'kthread'; busy?: number; name?: string }[], qdiscDrops = 0, tx: { stops: number; timerExpiries?: number; maxFreeSlots: number; byQueue?: number[] } = { stops: 0, maxFreeSlots: 14 }, path: PathWindow = {}): { before: BoardSnapshot; after: BoardSnapshot } {
  const byQueue = tx.byQueue ?? [tx.stops];
  const common = { wakeTimer: path.wakeTimer ?? 'jiffy', linkBytesPerSec: 1e9 } as const;
  const before: BoardSnapshot = { usage: cpus.map(() => IDLE), byName: cpus.map(() => new Map<string, number>()), qdiscDrops: 0, txStops: 0, txTimerExpiries: 0, maxFreeSlots: tx.maxFreeSlots, txStopsByQueue: byQueue.map(() => 0), ...common, t: 0, linkBytes: 0, linkStallNs: 0, linkReadWaitNs: 0, dmaBusyNs: (path.dmaBusyNs ?? []).map(() => 0) };
  const after: BoardSnapshot = {
    ...common,
    t: 1e9,
    linkBytes: path.linkBytes ?? 0,
    linkStallNs: path.stallNs ?? 0,
    linkReadWaitNs: path.readWaitNs ?? 0,
    dmaBusyNs: path.dmaBusyNs ?? [],
    usage: cpus.map((c) => ({ ...IDLE, [c.kind ?? 'user']: c.busy ?? 0, idle: 1e9 - (c.busy ?? 0) })),
    byName: cpus.map((c) => new Map(c.name === undefined ? [] : [[c.name, c.busy ?? 0]])),
    qdiscDrops,
    txStops: tx.stops,
    txTimerExpiries: tx.timerExpiries ?? 0,
    maxFreeSlots: tx.maxFreeSlots,
    txStopsByQueue: byQueue,
  };
  return { before, after };
}

const RX = { kind: 'softirq' as const, busy: 0.999e9, name: 'ntb_transport rxc_db qp0' };
const SENDER = { kind: 'user' as const, busy: 1e9, name: 'iperf3' };

describe('findBottleneck', () => {
  it('names the busiest CPU and its stage, saturated at 95 % or more', () => {
    const b = findBottleneck({ rc: board([RX, {}]), ep: board([{ kind: 'softirq', busy: 0.2e9, name: 'NET_RX/0' }]) });
    expect(b).toMatchObject({ board: 'rc', cpu: 0, saturated: true, stage: 'RX copy: ntb_transport tasklet (memcpy from the uncached RX ring)' });
    expect(b.busyPct).toBeCloseTo(99.9, 1);
    expect(b.cpus.rc.map((c) => c.cpu)).toEqual([0]);
  });

  it('says when no CPU is saturated', () => {
    const b = findBottleneck({ rc: board([{ ...RX, busy: 0.8e9 }]), ep: board([{}]) });
    expect(b.saturated).toBe(false);
    expect(b.stage).toMatch(/^not CPU-bound \(busiest: RX copy: .*\); the window or doorbell latency limit the rate$/);
  });

  it('names tx_timer wakes when not CPU-bound: rings that never have tx_start slots free, or completions that come too early; not when completions wake the queues', () => {
    const b = findBottleneck({ rc: board([{ ...RX, busy: 0.4e9 }]), ep: board([{ kind: 'softirq', busy: 0.2e9, name: 'NET_RX/0' }], 0, { stops: 480, timerExpiries: 500, maxFreeSlots: 6 }) });
    expect(b.stage).toMatch(/; ep's ntb0 TX queues stopped 480 times on rings with at most 6 slots free, below tx_start 10: only the 1-jiffy tx_timer wakes them$/);
    const early = findBottleneck({ rc: board([{ ...RX, busy: 0.4e9 }]), ep: board([{}], 0, { stops: 480, timerExpiries: 490, maxFreeSlots: 14 }) });
    expect(early.stage).toMatch(/; ep's ntb0 TX queues stopped 480 times and waited for the 1-jiffy tx_timer \(490 expiries\): their TX completions come before the peer has taken back tx_start 10 slots$/);
    const completions = findBottleneck({ rc: board([{ ...RX, busy: 0.4e9 }]), ep: board([{}], 0, { stops: 480, timerExpiries: 20, maxFreeSlots: 14 }) });
    expect(completions.stage).toMatch(/the window or doorbell latency limit the rate$/);
  });

  it("names a sender's qdisc drops when not CPU-bound (fq_codel's CoDel: data lost, TCP retransmits), not a UDP sender's over-offer", () => {
    const b = findBottleneck({ rc: board([{ ...RX, busy: 0.76e9 }]), ep: board([{ kind: 'softirq', busy: 0.2e9, name: 'NET_RX/0' }], 4) });
    expect(b.stage).toMatch(/^not CPU-bound \(busiest: RX copy: .*\); ep's ntb0 qdiscs dropped 4 packets \(tc -s qdisc: fq_codel's CoDel or a full queue\): data lost, which TCP retransmits after cutting its window$/);
    const udp = findBottleneck({ rc: board([{ ...RX, busy: 0.999e9 }]), ep: board([SENDER], 900) });
    expect(udp.stage).toBe('RX copy: ntb_transport tasklet (memcpy from the uncached RX ring)');
  });

  it('names the PCIe link when a direction carries ≥ 90 % of its payload rate (its posted-write stalls make the copying CPU look busy), and the DMA channels when they run back to back', () => {
    const link = findBottleneck({ rc: board([{ ...RX, busy: 0.5e9 }]), ep: board([SENDER], 0, undefined, { linkBytes: 0.95e9, stallNs: 0.3e9 }) });
    expect(link).toMatchObject({ board: 'ep', cpu: 0, saturated: true, stage: "PCIe link: ep→rc writes carry 95 % of its payload rate; ep's CPUs stalled 300 ms on posted-write flow control, counted as busy" });
    const below = findBottleneck({ rc: board([{ ...RX, busy: 0.5e9 }]), ep: board([SENDER], 0, undefined, { linkBytes: 0.85e9 }) });
    expect(below.stage).toBe('user task: iperf3 (socket calls, user copies, TX path when sending)');
    const dma = findBottleneck({ rc: board([{ ...RX, busy: 0.3e9 }]), ep: board([{ kind: 'softirq', busy: 0.05e9, name: 'NET_TX/0' }], 0, undefined, { dmaBusyNs: [0.95e9, 0.1e9] }) });
    expect(dma).toMatchObject({ saturated: true, stage: "DMA: a channel of ep's eDMA busy 95 % of the time (the profile's dma.rateMBps per channel)" });
    const idleDma = findBottleneck({ rc: board([{ ...RX, busy: 0.3e9 }]), ep: board([{}], 0, undefined, { dmaBusyNs: [0.6e9, 0.6e9] }) });
    expect(idleDma.saturated).toBe(false);
  });

  it('names the TSQ tasklet and the interrupt handlers as stages', () => {
    expect([stageOf('tsq/0'), stageOf('dw-edma'), stageOf('ntb_epf'), stageOf('something else')]).toEqual([
      'TSQ tasklet: TCP small queues (tcp_tasklet_func: writes held back until TX completions)',
      'IRQ: dw-edma DMA completion (its callbacks: ntb_transport TX/RX completions)',
      'IRQ: ntb_epf doorbell MSI (ntb_transport doorbell callback)',
      'something else',
    ]);
  });

  it('names the link when a saturated sender waits on it (posted-write credits, flush read-backs) ≥ 30 % of a CPU though its rate is below 90 %', () => {
    const sender = { kind: 'softirq' as const, busy: 1e9, name: 'NET_TX/0' };
    const b = findBottleneck({ rc: board([sender], 0, undefined, { linkBytes: 0.5e9, stallNs: 0.3e9, readWaitNs: 0.1e9 }), ep: board([{ ...RX, busy: 0.4e9 }]) });
    expect(b).toMatchObject({ board: 'rc', saturated: true, stage: "PCIe writes: rc's CPUs wait on the link 40 % of a CPU's time (posted-write credits 300 ms, flush read-backs behind the writes 100 ms), counted as busy; rc→ep carries 50 % of the link's payload rate" });
    const idle = findBottleneck({ rc: board([{ ...sender, busy: 0.6e9 }], 0, undefined, { linkBytes: 0.5e9, stallNs: 0.3e9, readWaitNs: 0.1e9 }), ep: board([{ ...RX, busy: 0.4e9 }]) });
    expect(idle.stage).not.toMatch(/^PCIe/);
    const little = findBottleneck({ rc: board([sender], 0, undefined, { linkBytes: 0.5e9, stallNs: 0.1e9, readWaitNs: 0.1e9 }), ep: board([{ ...RX, busy: 0.4e9 }]) });
    expect(little.stage).toBe('TX: NET_TX softirq (qdisc, ndo_start_xmit, memcpy_toio)');
  });

  it("names the hrtimer variant's wake when ntb_netdev runs it", () => {
    const b = findBottleneck({ rc: board([{ ...RX, busy: 0.4e9 }]), ep: board([{}], 0, { stops: 480, timerExpiries: 500, maxFreeSlots: 6 }, { wakeTimer: 'hrtimer' }) });
    expect(b.stage).toMatch(/below tx_start 10: only the 250 µs tx_timer hrtimer wakes them$/);
  });

  it('passes over a user task whose board dropped packets at its own qdisc: it offers more than the path carries', () => {
    const spinning = findBottleneck({ rc: board([RX]), ep: board([{}, {}, SENDER], 1234) });
    expect(spinning).toMatchObject({ board: 'rc', cpu: 0, stage: 'RX copy: ntb_transport tasklet (memcpy from the uncached RX ring)' });
    const limiting = findBottleneck({ rc: board([RX]), ep: board([{}, {}, SENDER]) });
    expect(limiting).toMatchObject({ board: 'ep', cpu: 2, stage: 'user task: iperf3 (socket calls, user copies, TX path when sending)' });
    const alone = findBottleneck({ rc: board([{}]), ep: board([SENDER], 5) });
    expect(alone).toMatchObject({ board: 'ep', cpu: 0 });
  });

  it('with RX queues on different CPUs, says where each ran and when one saturated CPU leaves another short, with the board’s own TX stops (the ACK path)', () => {
    const qp1 = { kind: 'softirq' as const, busy: 0.45e9, name: 'ntb_transport rxc_db qp1' };
    const even = findBottleneck({ rc: board([{}, RX, { ...qp1, busy: 0.99e9 }], 0, { stops: 30, maxFreeSlots: 14, byQueue: [10, 20] }), ep: board([{}]) });
    expect(even.rxQueues.rc.map((q) => [q.qp, q.cpu, Math.round(q.busyPct)])).toEqual([[0, 1, 100], [1, 2, 99]]);
    expect(even.stage).toBe('RX copy: ntb_transport tasklet (memcpy from the uncached RX ring)');
    const uneven = findBottleneck({ rc: board([{}, RX, qp1], 0, { stops: 251, maxFreeSlots: 14, byQueue: [10, 241] }), ep: board([{}]) });
    expect(uneven).toMatchObject({ board: 'rc', cpu: 1, saturated: true });
    expect(uneven.stage).toBe("RX copy: ntb_transport tasklet (memcpy from the uncached RX ring); qp1's RX CPU (cpu2) only 45 % busy: its flows did not bring it enough packets");
    expect(uneven.unevenRx).toBe("qp1's RX CPU (cpu2) only 45 % busy: its flows did not bring it enough packets");
    expect(uneven.returnPath).toBe('');
    expect(even.unevenRx).toBe('');
    // Both tasklets on one CPU (legacy doorbells): nothing to compare.
    const shared = findBottleneck({ rc: board([{ ...RX, busy: 0.5e9 }]), ep: board([{}]) });
    expect(shared.rxQueues.rc).toEqual([{ qp: 0, cpu: 0, busyPct: 50, taskletPct: 50 }]);
  });

  describe('what the receiving board sends back (its standing TX queues)', () => {
    const qp1 = { kind: 'softirq' as const, busy: 0.45e9, name: 'ntb_transport rxc_db qp1' };
    const back = (rc: number[], rttMs: number | null = 1330): ReturnPath => ({ receiver: 'rc', queues: { qdiscMean: { rc, ep: [9, 4] }, samples: 90 }, rttMs });
    const tx = { stops: 525, maxFreeSlots: 14, byQueue: [523, 2] };

    it('names the queue holding the ACKs back, with its stops and the RTT, when an RX CPU was left short', () => {
      const b = findBottleneck({ rc: board([{}, RX, qp1], 0, tx), ep: board([{}]) }, back([830.4, 3]));
      expect(b.returnPath).toBe("rc's ntb0 TX queue 0 held 830 packets on average in its qdisc, stopped 523 times for want of ring slots; the streams' RTT up to 1.33 s");
      expect(b.stage).toBe(`RX copy: ntb_transport tasklet (memcpy from the uncached RX ring); qp1's RX CPU (cpu2) only 45 % busy: its flows did not bring it enough packets, their ACKs held back on the way: ${b.returnPath}`);
    });

    it('is a reason beside the tx_timer waits when no CPU is saturated, or alone; RTT in ms below a second, none for UDP', () => {
      const b = findBottleneck({ rc: board([{ ...RX, busy: 0.8e9 }], 0, tx), ep: board([{}], 0, { stops: 3101, timerExpiries: 3101, maxFreeSlots: 14 }) }, back([2, 602], 27.4));
      expect(b.stage).toBe(
        "not CPU-bound (busiest: RX copy: ntb_transport tasklet (memcpy from the uncached RX ring)); ep's ntb0 TX queues stopped 3101 times and waited for the 1-jiffy tx_timer (3101 expiries): their TX completions come before the peer has taken back tx_start 10 slots; the streams' ACKs queue on the way back: rc's ntb0 TX queue 1 held 602 packets on average in its qdisc, stopped 2 times for want of ring slots; the streams' RTT up to 27 ms",
      );
      const alone = findBottleneck({ rc: board([{ ...RX, busy: 0.8e9 }], 0, { ...tx, timerExpiries: 0 }), ep: board([{}]) }, back([2, 602], 27.4));
      expect(alone.stage).toBe("not CPU-bound (busiest: RX copy: ntb_transport tasklet (memcpy from the uncached RX ring)); the streams' ACKs queue on the way back: rc's ntb0 TX queue 1 held 602 packets on average in its qdisc, stopped 2 times for want of ring slots; the streams' RTT up to 27 ms");
      expect(findBottleneck({ rc: board([{ ...RX, busy: 0.8e9 }], 0, tx), ep: board([{}]) }, back([2, 602], null)).returnPath).toMatch(/for want of ring slots$/);
      const none = findBottleneck({ rc: board([{ ...RX, busy: 0.8e9 }], 0, tx), ep: board([{}], 0, { stops: 3101, timerExpiries: 3101, maxFreeSlots: 14 }) }, back([STANDING_QUEUE - 1, 0]));
      expect(none.returnPath).toBe('');
      expect(none.stage).toMatch(/waited for the 1-jiffy tx_timer/);
    });

    it('says nothing when the receive CPUs carried what they could: a standing queue there does not limit the rate', () => {
      const b = findBottleneck({ rc: board([{}, RX, { ...qp1, busy: 0.99e9 }], 0, tx), ep: board([{}]) }, back([830, 3]));
      expect(b).toMatchObject({ saturated: true, returnPath: '', stage: 'RX copy: ntb_transport tasklet (memcpy from the uncached RX ring)' });
    });
  });
});

describe('sampleQueues', () => {
  it('reads every TX queue of both boards every 10 ms over the window and gives the means', () => {
    const sim = new Simulation();
    const qlen = (board: number, q: number): number => (board === 0 ? (q + 1) * Math.floor(sim.now / QUEUE_SAMPLE_NS) : 7);
    const dev = (board: number, queues: number) => ({ ndev: { realNumTxQueues: queues, txQueue: (q: number) => ({ qdisc: { get qlen() { return qlen(board, q); } } }) } });
    const lab = { sim, boards: { rc: { netdev: () => dev(0, 2) }, ep: { netdev: () => dev(1, 1) } } } as unknown as Lab;
    const means = sampleQueues(lab, 0, 100 * QUEUE_SAMPLE_NS);
    sim.run({ until: 1e9 });
    // Readings at 0, 10, …, 990 ms: queue 0 reads 0..99 (mean 49.5), queue 1 twice that.
    expect(means()).toEqual({ qdiscMean: { rc: [49.5, 99], ep: [7] }, samples: 100 });
    const empty = sampleQueues({ sim, boards: { rc: { netdev: () => null }, ep: { netdev: () => null } } } as unknown as Lab, 2e9, 2e9);
    expect(empty()).toEqual({ qdiscMean: { rc: [], ep: [] }, samples: 0 });
  });
});
