/**
 * The per-queue counters (`ethtool -S ntb0`: `rx_queue_N_*`, `tx_queue_N_*`, src/netdev.ts)
 * against the device's: every rx_packets, rx_bytes, rx_errors, tx_packets and tx_bytes the
 * driver counts is also its queue's, so the queues sum to the device totals however the frames
 * went wrong (a receive buffer the driver cannot re-post: rx_fifo_errors; a frame longer than
 * the buffer: rx_length_errors; v7.0's netif_rx drop). And the wake timer: `timer_wakes` counts
 * only the runs that woke the subqueue, so never more than `stops`; `timer_expiries` every run.
 */
import { ERRNO } from '@ntbsim/kernel';
import { describe, expect, it, vi } from 'vitest';
import type { NtbNetdev, NtbQueueStats } from '../src/index.js';
import { tcpFlows, udpSender } from './flows.js';
import { growChannels, rig, type Rig, type Side } from './rig.js';

type Summed = 'rxPackets' | 'rxBytes' | 'rxErrors' | 'txPackets' | 'txBytes';
const SUMMED: readonly Summed[] = ['rxPackets', 'rxBytes', 'rxErrors', 'txPackets', 'txBytes'];

/** Each summed per-queue counter, added over the queues, against the device counter of the same name. */
function queueSums(nd: NtbNetdev): { queues: Record<Summed, number>; device: Record<Summed, number> } {
  const sum = (k: keyof NtbQueueStats): number => nd.queues.reduce((n, q) => n + q.stats[k], 0);
  const st = nd.ndev.stats;
  return {
    queues: Object.fromEntries(SUMMED.map((k) => [k, sum(k)])) as Record<Summed, number>,
    device: Object.fromEntries(SUMMED.map((k) => [k, st[k]])) as Record<Summed, number>,
  };
}

/** The `ethtool -S` values whose names match `re`, added up. */
function ethtoolSum(nd: NtbNetdev, re: RegExp): number {
  const values = nd.getEthtoolStats();
  return nd.getStatsStrings().reduce((n, name, i) => n + (re.test(name) ? (values[i] ?? 0) : 0), 0);
}

/** Make the next `count` receive-buffer posts of each of `side`'s queues fail with -ENOMEM (the lab's `fault rx-exhaust`). */
function failRxPosts(side: Side, count: number): void {
  for (const q of side.nd.queues) {
    const enqueue = q.qp.rxEnqueue.bind(q.qp);
    let left = count;
    vi.spyOn(q.qp, 'rxEnqueue').mockImplementation((cb, buf, len, ctx) => (left-- > 0 ? -ERRNO.ENOMEM : enqueue(cb, buf, len, ctx)));
  }
}

/** `count` UDP datagrams EP→RC on each of the EP's CPUs `cpus` (port 7000 + i), sizes alternating small and 8000 bytes. */
function udpFrom(r: Rig, cpus: readonly number[], count: number): void {
  cpus.forEach((cpu, i) => {
    expect(udpSender(r, { port: 7000 + i, cpu, count, size: (n) => (n % 2 === 0 ? 400 : 8000) })).not.toBeNull();
  });
}

describe('per-queue counters sum to the device counters', () => {
  it('mq, 2 queues, with re-post failures (rx_fifo_errors) and frames longer than the buffers (rx_length_errors) on both RX queues', () => {
    const r = rig({ mws: 2, transport: { maxNumClients: 4 } });
    expect(growChannels(r, 2)).toEqual([0, 0]);
    // XPS: EP CPU 1 sends on TX queue 0, CPU 2 on queue 1; QP i feeds the RC's RX queue i.
    r.ep.nd.ndev.setXpsCpus(0, 1 << 1);
    r.ep.nd.ndev.setXpsCpus(1, 1 << 2);
    // The RC's buffers are re-posted at 1500 + ETH_HLEN: the EP's 8000-byte datagrams no longer fit.
    r.rc.nd.ndev.setMtu(1500);
    r.sim.run({ until: r.sim.now + 100e6 });
    expect(r.rc.nd.queues.every((q) => q.qp.linkQuery())).toBe(true);
    failRxPosts(r.rc, 30);
    udpFrom(r, [1, 2], 600);
    r.sim.run({ until: r.sim.now + 2e9 });
    const st = r.rc.nd.ndev.stats;
    expect(st.rxFifoErrors).toBe(60);
    expect(st.rxLengthErrors).toBeGreaterThan(0);
    expect(st.rxErrors).toBe(st.rxFifoErrors + st.rxLengthErrors);
    for (const q of r.rc.nd.queues) expect(q.stats.rxErrors, `rx queue ${q.qid}`).toBeGreaterThan(30);
    for (const s of [r.ep, r.rc]) {
      const { queues, device } = queueSums(s.nd);
      expect(queues, `${s.host.name}`).toEqual(device);
    }
    // What ethtool -S shows adds up to what ip -s link shows.
    expect(ethtoolSum(r.rc.nd, /^rx_queue_\d+_errors$/)).toBe(st.rxErrors);
    expect(ethtoolSum(r.rc.nd, /^rx_queue_\d+_packets$/)).toBe(st.rxPackets);
    expect(ethtoolSum(r.ep.nd, /^tx_queue_\d+_bytes$/)).toBe(r.ep.nd.ndev.stats.txBytes);
  });

  it("baseline (v7.0): a netif_rx drop and a re-post failure are the queue's rx_errors too", () => {
    const r = rig({ netdev: { variant: 'baseline' } });
    r.rc.stack.setSysctl('net.core.netdev_max_backlog', 0);
    failRxPosts(r.rc, 5);
    udpFrom(r, [1], 200);
    r.sim.run({ until: r.sim.now + 1e9 });
    const st = r.rc.nd.ndev.stats;
    expect(st.rxFifoErrors).toBe(5);
    // v7.0 counts its netif_rx drop in rx_dropped on top of the core's: half of rx_dropped.
    const drops = r.rc.stack.softnetStat().reduce((n, c) => n + c.dropped, 0);
    expect(drops).toBeGreaterThan(0);
    expect(st.rxErrors).toBe(st.rxFifoErrors + drops);
    const { queues, device } = queueSums(r.rc.nd);
    expect(queues).toEqual(device);
  });
});

describe('wake timer counters', () => {
  it.each(['jiffy', 'hrtimer'] as const)('%s: per queue, timer wakes never exceed stops; expiries count the re-arms too', (wakeTimer) => {
    // Two 1 MiB windows, a QP in each: 7-slot rings, so the subqueues stop and wait for the timer.
    const r = rig({ mws: 2, transport: { maxNumClients: 4 }, netdev: { wakeTimer } });
    expect(growChannels(r, 2)).toEqual([0, 0]);
    // XPS: the senders on EP CPU 1 go out on TX queue 0, those on CPU 2 on queue 1.
    r.ep.nd.ndev.setXpsCpus(0, 1 << 1);
    r.ep.nd.ndev.setXpsCpus(1, 1 << 2);
    const run = tcpFlows(r, r.ep, r.rc, { flows: 4, bytes: 4_000_000, functional: false, cpus: (i) => 1 << (1 + (i % 2)) });
    const t0 = r.sim.now;
    while (!run.done() && r.sim.now < t0 + 10e9) r.sim.run({ until: r.sim.now + 10e6 });
    expect(run.done()).toBe(true);
    const all = [...r.ep.nd.queues.map((q) => ({ at: `ep queue ${q.qid}`, s: q.stats })), ...r.rc.nd.queues.map((q) => ({ at: `rc queue ${q.qid}`, s: q.stats }))];
    for (const { at, s } of all) {
      expect(s.txTimerWakes, `${at}`).toBeLessThanOrEqual(s.txStops);
      expect(s.txTimerExpiries, `${at}`).toBeGreaterThanOrEqual(s.txTimerWakes);
    }
    expect(all.every(({ s }) => s.txTimerWakes > 0)).toBe(true);
    // Some expiry found the ring still short and re-armed: expiries and wakes are not the same count.
    expect(all.some(({ s }) => s.txTimerExpiries > s.txTimerWakes)).toBe(true);
    const names = r.ep.nd.getStatsStrings();
    const values = r.ep.nd.getEthtoolStats();
    const at = (name: string): number => values[names.indexOf(name)] ?? -1;
    for (const q of r.ep.nd.queues) {
      expect(at(`tx_queue_${q.qid}_timer_wakes`)).toBe(q.stats.txTimerWakes);
      expect(at(`tx_queue_${q.qid}_timer_expiries`)).toBe(q.stats.txTimerExpiries);
      expect(at(`tx_queue_${q.qid}_stops`)).toBe(q.stats.txStops);
    }
  });
});
