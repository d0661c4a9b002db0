// Qdisc throughput and memory: the packets per wall second an ntb0 TX queue's qdisc takes in and
// hands out, pfifo_fast against fq_codel, on the traffic of the seed's TCP test — four 64 KiB
// data flows and their ACK flow — with a standing queue of ~1000 packets, ~11 ms (the ring
// drains slower than the stack fills it) so fq_codel's DRR, CoDel and memory limit all work —
// and the heap a standing queue of 10,000 ACKs adds. Writes
// bench-results/net-core-perf.json (repo root) and prints a summary. No target in the issues:
// it is the figure a change to the qdiscs is compared with.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FqCodel, IPPROTO, PfifoFast, Skb } from '../dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PACKETS = Number(process.env.NET_CORE_PERF_PACKETS ?? 400_000);
const MTU = 65510 + 14;

/** The five flows' packets: flow f of 0..3 carries 64 KiB data, flow 4 ACKs. */
function packet(flow, id) {
  const data = flow < 4;
  const s = new Skb({ ip: { src: 0x0a000002, dst: 0x0a000001, protocol: IPPROTO.TCP, id: id & 0xffff, ttl: 64, df: true, tos: 0 }, l4: { kind: 'tcp', sport: 40000 + flow, dport: 5201, seq: 0, ack: 0, flags: 0x10, window: 0 }, payloadLen: data ? 65458 : 0, macLen: 14 });
  s.hash = 0x9e3779b1 * (flow + 1);
  return s;
}

/** Enqueue and dequeue `n` packets at 1.1 enqueues per dequeue until the queue stands at ~`depth`, 10 µs of virtual time apart; wall time and what came out. */
function run(q, clock, n, depth) {
  let id = 0;
  let out = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    clock.now += 10_000;
    const flow = i % 10 < 8 ? i % 4 : 4;
    q.enqueue(packet(flow, ++id));
    if (q.qlen > depth || i % 11 !== 0) {
      if (q.dequeue() !== undefined) out++;
    }
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return { packets: n, dequeued: out, drops: q.stats.drops, wall_s: Number(wall.toFixed(4)), packets_per_s: Math.round(n / wall) };
}

/** The heap a standing queue of `depth` ACKs over 64 flows adds over the packets themselves (bytes per packet; run with --expose-gc). */
function heapOfStandingQueue(make, depth) {
  const packets = Array.from({ length: depth }, (_, i) => {
    const s = packet(4, i);
    s.hash = 0x9e3779b1 * ((i % 64) + 1);
    return s;
  });
  const settle = () => {
    for (let i = 0; i < 3; i++) globalThis.gc?.();
  };
  settle();
  const before = process.memoryUsage().heapUsed;
  const clock = { now: 0 };
  const q = make(clock, depth);
  for (const p of packets) q.enqueue(p);
  settle();
  const bytes = process.memoryUsage().heapUsed - before;
  return { depth: q.qlen, qdisc_heap_bytes_per_packet: Math.round(bytes / Math.max(1, q.qlen)) };
}

const kinds = {
  pfifo_fast: (_clock, limit = 1000) => new PfifoFast(() => limit),
  fq_codel: (clock) => new FqCodel(MTU, () => clock.now, 1),
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const result = { bench: 'net-core-qdisc', node: process.version, packets: PACKETS, kinds: {} };
for (const [kind, make] of Object.entries(kinds)) {
  for (let i = 0; i < 2; i++) {
    const clock = { now: 0 };
    run(make(clock), clock, 50_000, 1000);
  }
  const trials = [];
  for (let i = 0; i < 5; i++) {
    const clock = { now: 0 };
    trials.push(run(make(clock), clock, PACKETS, 1000));
  }
  result.kinds[kind] = { trials, packets_per_s: median(trials.map((t) => t.packets_per_s)), standing_queue: heapOfStandingQueue(make, 10_000) };
}
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results', 'net-core-perf.json'), JSON.stringify(result, null, 2) + '\n');
const m = (v) => (v / 1e6).toFixed(2);
console.log(
  `net-core qdiscs, ${PACKETS} packets × 5 trials: ` +
    Object.entries(result.kinds)
      .map(([k, r]) => `${k} ${m(r.packets_per_s)} M packets/s (${r.trials[0].drops} drops), ${r.standing_queue.qdisc_heap_bytes_per_packet} B of qdisc heap per queued packet`)
      .join('; '),
);
