/**
 * TX queue selection over the multi-queue ntb_netdev (src/netdev.ts: startXmit takes the QP of
 * `skb.queue_mapping`): without XPS a connected socket's packets take
 * `reciprocal_scale(sk_txhash, real_num_tx_queues)` and the socket caches that queue, so N flows
 * over Q queues spread as their random hashes say (several flows may share a queue); with
 * `xps_cpus` the queue follows the sending CPU. The per-queue counters must add up to the
 * device's, and QP i of one host feeds RX queue i of the other.
 */
import { reciprocalScale, type InetSock, type TcpSocket } from '@ntbsim/net-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NtbNetdev } from '../src/index.js';
import { flowPattern, tcpFlows, udpSender, type Flow } from './flows.js';
import { concat, firstDiff, growChannels, rig, type Rig } from './rig.js';

/** Per-queue counters add up to the device counters; no error, drop or stray packet. */
function expectQueueSums(nd: NtbNetdev): void {
  const sum = (k: 'txPackets' | 'txBytes' | 'rxPackets' | 'rxBytes'): number => nd.queues.reduce((n, q) => n + q.stats[k], 0);
  const st = nd.ndev.stats;
  expect({ txPackets: sum('txPackets'), txBytes: sum('txBytes'), rxPackets: sum('rxPackets'), rxBytes: sum('rxBytes') }).toEqual({
    txPackets: st.txPackets,
    txBytes: st.txBytes,
    rxPackets: st.rxPackets,
    rxBytes: st.rxBytes,
  });
  expect({ txErrors: st.txErrors, txDropped: st.txDropped, rxErrors: st.rxErrors, rxDropped: st.rxDropped }).toEqual({ txErrors: 0, txDropped: 0, rxErrors: 0, rxDropped: 0 });
}

/** QP i carries TX queue i of one host into RX queue i of the other, packet for packet and byte for byte. */
function expectQueuePairing(r: Rig): void {
  for (const [a, b] of [
    [r.ep.nd, r.rc.nd],
    [r.rc.nd, r.ep.nd],
  ] as const) {
    expect(b.queues.map((q) => [q.stats.rxPackets, q.stats.rxBytes])).toEqual(a.queues.map((q) => [q.stats.txPackets, q.stats.txBytes]));
  }
}

/** What each TX queue should have sent: the segments of the sockets whose queue is `queueOf(sock)`. */
function segmentsByQueue(queues: number, socks: readonly TcpSocket[], queueOf: (s: InetSock) => number): number[] {
  const out = Array<number>(queues).fill(0);
  for (const s of socks) out[queueOf(s)] = (out[queueOf(s)] ?? 0) + s.tcpInfo().segsOut;
  return out;
}

const hashQueue =
  (queues: number) =>
  (s: InetSock): number =>
    reciprocalScale(s.txhash, queues);

function serverOf(f: Flow): TcpSocket {
  if (f.server === null) throw new Error(`flow ${f.index} was never accepted`);
  return f.server;
}

/** Every flow's bytes arrived exactly once, in order and unmixed. */
function expectStreamsIntact(flows: readonly Flow[], bytes: number): void {
  for (const f of flows) {
    expect(f.received, `flow ${f.index}`).toBe(bytes);
    expect(firstDiff(concat(f.chunks), flowPattern(f.index, 0, bytes)), `flow ${f.index}`).toBe(-1);
  }
}

/**
 * `flows` byte-checked TCP flows EP→RC of `bytes` each over `queues` queues (grown with
 * set_channels on both hosts, all QP links up); `sample` runs every 5 ms of virtual time; returns
 * 500 ms after the last stream ended.
 */
function runFlows(o: { seed: number; queues: number; flows: number; bytes: number; sample?: (flows: readonly Flow[]) => void }): { r: Rig; flows: Flow[] } {
  const r = rig({ seed: o.seed, mws: 2, transport: { maxNumClients: 4 }, netdev: { payload: 'functional' } });
  expect(growChannels(r, o.queues).every((rc) => rc === 0)).toBe(true);
  for (const s of [r.ep, r.rc]) {
    expect(s.nd.queues.map((q) => q.qp.linkQuery())).toEqual(Array<boolean>(o.queues).fill(true));
    expect(s.nd.ndev.realNumTxQueues).toBe(o.queues);
  }
  const run = tcpFlows(r, r.ep, r.rc, { flows: o.flows, bytes: o.bytes, functional: true });
  const t0 = r.sim.now;
  while (!run.done() && r.sim.now < t0 + 10e9) {
    r.sim.run({ until: r.sim.now + 5e6 });
    o.sample?.(run.flows);
  }
  r.sim.run({ until: r.sim.now + 500e6 });
  return { r, flows: run.flows };
}

describe('TX queue per flow hash (no XPS)', () => {
  it.each([2, 4])('8 TCP flows EP→RC over %i queues: each socket stays on its hash queue, the per-queue counters say so and add up', (queues) => {
    const bytes = 1_000_000;
    const seen = new Map<TcpSocket, Set<number>>();
    const { r, flows } = runFlows({
      seed: 1,
      queues,
      flows: 8,
      bytes,
      sample: (fl) => {
        for (const s of fl.flatMap((f) => (f.server === null ? [f.client] : [f.client, f.server]))) {
          if (s.txQueueMapping < 0) continue;
          const set = seen.get(s) ?? new Set<number>();
          set.add(s.txQueueMapping);
          seen.set(s, set);
        }
      },
    });
    expectStreamsIntact(flows, bytes);
    expect(r.ep.stack.tcpExt.TCPTimeoutRehash + r.rc.stack.tcpExt.TCPTimeoutRehash).toBe(0);
    const q = hashQueue(queues);
    const clients = flows.map((f) => f.client);
    const servers = flows.map(serverOf);
    for (const s of [...clients, ...servers]) {
      expect(s.txQueueMapping).toBe(q(s));
      expect([...(seen.get(s) ?? [])]).toEqual([q(s)]);
    }
    // The scenario spreads: the flows do not all hash to one queue.
    expect(new Set(clients.map(q)).size).toBeGreaterThan(1);
    expect(r.ep.nd.queues.map((x) => x.stats.txPackets)).toEqual(segmentsByQueue(queues, clients, q));
    expect(r.rc.nd.queues.map((x) => x.stats.txPackets)).toEqual(segmentsByQueue(queues, servers, q));
    for (const s of [r.ep, r.rc]) expectQueueSums(s.nd);
    expectQueuePairing(r);
  });

  it('property: over seeds, flow counts, sizes and 1–4 queues nothing is lost, duplicated or misrouted and the per-queue counters add up', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 300_000 }),
        (seed, queues, nflows, bytes) => {
          const { r, flows } = runFlows({ seed, queues, flows: nflows, bytes });
          expectStreamsIntact(flows, bytes);
          const q = hashQueue(queues);
          const clients = flows.map((f) => f.client);
          const servers = flows.map(serverOf);
          // With one real TX queue the core takes queue 0 without a pick and caches nothing.
          for (const s of [...clients, ...servers]) expect(s.txQueueMapping).toBe(queues === 1 ? -1 : q(s));
          expect(r.ep.nd.queues.map((x) => x.stats.txPackets)).toEqual(segmentsByQueue(queues, clients, q));
          expect(r.rc.nd.queues.map((x) => x.stats.txPackets)).toEqual(segmentsByQueue(queues, servers, q));
          for (const s of [r.ep, r.rc]) expectQueueSums(s.nd);
          expectQueuePairing(r);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('TX queue per sending CPU (XPS)', () => {
  it('with xps_cpus mapping each queue to one CPU, UDP senders pinned to CPUs go out on their CPU\'s queue; a CPU without a map falls back to the hash', () => {
    const queues = 4;
    const r = rig({ mws: 2, transport: { maxNumClients: 4 } });
    expect(growChannels(r, queues)).toEqual([0, 0, 0, 0, 0, 0]);
    // tx-q → the one CPU in its xps_cpus (not the identity, so a CPU-id-as-queue shortcut shows).
    const xpsCpu = [6, 1, 4, 3];
    xpsCpu.forEach((cpu, q) => r.ep.nd.ndev.setXpsCpus(q, 1 << cpu));
    // Flow → sending CPU: queue 1 gets three flows, queue 3 two, queue 0 one, queue 2 none; CPU 7 has no map.
    const flowCpu = [1, 3, 1, 6, 3, 1, 7];
    const datagrams = flowCpu.map((_, i) => 40 + 7 * i);
    const socks = flowCpu.map((cpu, i) => udpSender(r, { port: 7000 + i, cpu, count: datagrams[i] ?? 0, size: () => 8000 })).filter((f) => f !== null);
    expect(socks).toHaveLength(flowCpu.length);
    r.sim.run({ until: r.sim.now + 2e9 });
    const expected = flowCpu.map((cpu, i) => {
      const q = xpsCpu.indexOf(cpu);
      return q >= 0 ? q : reciprocalScale(socks[i]?.s.txhash ?? 0, queues);
    });
    socks.forEach(({ s, sink }, i) => {
      expect(s.txQueueMapping, `flow ${i}`).toBe(expected[i]);
      expect(sink.queued, `flow ${i}`).toBe(datagrams[i]);
    });
    // XPS, not the hash, decided: some pinned flow's hash queue is not its CPU's queue.
    expect(socks.some(({ s }, i) => flowCpu[i] !== 7 && reciprocalScale(s.txhash, queues) !== expected[i])).toBe(true);
    const perQueue = Array<number>(queues).fill(0);
    expected.forEach((q, i) => (perQueue[q] = (perQueue[q] ?? 0) + (datagrams[i] ?? 0)));
    expect(r.ep.nd.queues.map((q) => q.stats.txPackets)).toEqual(perQueue);
    expect(r.ep.stack.snmp.Udp.OutDatagrams).toBe(datagrams.reduce((a, b) => a + b, 0));
    for (const s of [r.ep, r.rc]) expectQueueSums(s.nd);
    expectQueuePairing(r);
  });
});
