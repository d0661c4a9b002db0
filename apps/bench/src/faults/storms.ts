/**
 * Load storms of issue #8: ring-full storms (many concurrent TCP senders and a tiny-datagram
 * UDP flood keeping the transport TX rings full, so ntb_netdev's tx_stop/tx_start flow control
 * and its ≥ 1-jiffy wake timer run for a long time), `ethtool -L ntb0 combined N` storms,
 * `ip link set ntb0 mtu N` storms and `tc qdisc` graft storms on both boards under verified TCP
 * and UDP traffic.
 *
 * Where the kernel loses a datagram, and the counter it uses: a full qdisc drops it
 * (`tc -s qdisc` dropped, and — no IP_RECVERR — Udp SndbufErrors while send() succeeds); a full
 * socket receive buffer drops it (Udp RcvbufErrors); a full backlog drops it (ntb0 rx_dropped);
 * a send on a device without carrier drops it (ntb0 tx_dropped). A queue the driver stops for
 * want of ring slots never drops (the qdisc holds the packets); frames in a ring whose QP link
 * goes down are lost without a counter (TCP retransmits; a UDP datagram is gone), as are packets
 * in a qdisc the core resets (carrier off, fewer real TX queues, a graft): `qdisc_reset` counts
 * nothing. fq_codel drops inside the qdisc (CoDel, or its fattest flow over the limit): the
 * sender's enqueue still succeeds (NET_XMIT_SUCCESS or NET_XMIT_CN, which UDP takes as sent), so
 * only `tc -s qdisc`'s dropped counts them — and only until tc replaces that qdisc.
 */
import { IPPROTO, type Qdisc } from '@ntbsim/net-core';
import { peerBoard, type Lab, type LabOptions } from '../lab/lab.js';
import { ARP_REPROBE_NS, bothDelta, counterDelta, malformedFrames, runLabLine, staleRefusedDetail, type AccountingView, type Scenario, type ScenarioStep } from './scenario.js';
import { datagramTotals } from './traffic.js';

const MS = 1_000_000;
const US = 1_000;

/** Four queue pairs (two 1 MiB memory windows, max_num_clients=4), `queues` of them used at probe. */
function fourQps(queues: number): Omit<LabOptions, 'payload'> {
  return { params: { transport: { maxNumClients: 4 }, netdev: { queues } }, vntb: { mwSizes: [1 << 20, 1 << 20] } };
}


/** Packets in the qdiscs of `board`'s ntb0 TX queues. */
function qdiscBacklog(lab: Lab, board: 'rc' | 'ep'): number {
  return lab.boards[board].netdev()?.ndev.txQdiscs.reduce((n, q) => n + q.qlen, 0) ?? 0;
}

/**
 * UDP loss accounting from `from` to the other board: every send() the sender made is counted
 * (Udp OutDatagrams + SndbufErrors); every datagram read is counted (InDatagrams); what was
 * lost is exactly the qdisc drops (SndbufErrors) plus the receive-buffer drops (RcvbufErrors)
 * plus in-flight losses no larger than what the kernel drops in flight (`inFlightBound`).
 */
function udpLoss(v: AccountingView, from: 'rc' | 'ep', inFlightBound: number): string | null {
  const g = v.datagrams;
  if (g === null) return 'no UDP flows';
  const to = peerBoard(from);
  const t = datagramTotals(g);
  const out = counterDelta(v, from, 'udpOutDatagrams');
  const snd = counterDelta(v, from, 'udpSndbufErrors');
  const rcv = counterDelta(v, to, 'udpRcvbufErrors');
  const csum = counterDelta(v, to, 'udpInCsumErrors') + counterDelta(v, to, 'udpNoPorts');
  if (out + snd !== t.sent) return `sender counted OutDatagrams +${out} + SndbufErrors +${snd} ≠ ${t.sent} datagrams sent`;
  if (counterDelta(v, to, 'udpInDatagrams') !== t.received + t.duplicates + t.corrupt) return `receiver counted InDatagrams +${counterDelta(v, to, 'udpInDatagrams')} ≠ ${t.received + t.duplicates + t.corrupt} datagrams read`;
  if (csum !== 0) return `InCsumErrors + NoPorts +${csum}`;
  const inFlight = t.lost - snd - rcv;
  if (inFlight < 0 || inFlight > inFlightBound) return `${t.lost} datagrams lost: SndbufErrors +${snd}, RcvbufErrors +${rcv}, ${inFlight} lost in flight (allowed 0..${inFlightBound})`;
  return null;
}

function udpDetail(v: AccountingView, from: 'rc' | 'ep'): string {
  const g = v.datagrams;
  if (g === null) return '';
  const to = peerBoard(from);
  const t = datagramTotals(g);
  const inFlight = t.lost - counterDelta(v, from, 'udpSndbufErrors') - counterDelta(v, to, 'udpRcvbufErrors');
  return `UDP ${t.lost}/${t.sent} lost = ${from} SndbufErrors +${counterDelta(v, from, 'udpSndbufErrors')} (qdisc full) + ${to} RcvbufErrors +${counterDelta(v, to, 'udpRcvbufErrors')} + ${inFlight} in flight`;
}

/** The driver never drops or errs on a full ring: no tx_dropped, tx_errors, rx_errors, rx_err_ver on either board. */
function noDriverLoss(v: AccountingView): string | null {
  const bad = (['txDropped', 'txErrors', 'rxErrors', 'rxErrVer', 'rxLengthErrors'] as const).filter((k) => bothDelta(v, k) !== 0);
  return bad.length === 0 ? null : `driver loss on a full ring: ${bad.map((k) => `${k} +${bothDelta(v, k)}`).join(', ')}`;
}

/**
 * Ring-full storm: the main 3 MB stream from the EP, 7 more TCP streams (4 more from the EP, 3
 * from the RC) and, for 100 ms, 16 UDP flows (SO_SNDBUF 1 MiB, so the sockets can overrun the
 * 1000-packet qdiscs) of 18-byte datagrams (60-byte frames, one per ring slot) offered at
 * 200 kpps from the EP, over 4 QPs in two 1 MiB windows: 7-slot rings.
 *
 * Known weakness (jiffy wake timer, the kernel's): a 7-slot ring never has tx_start (10) slots
 * free, so no TX completion wakes a stopped subqueue; only the wake timer does, one jiffy
 * (4 ms) later, and it lets 2 frames through before tx_stop (5) stops the queue again. The
 * qdiscs (1000 frames each) drain in about 2 s after the flood; TCP waits behind them. The
 * 250 µs hrtimer variant (TrueNAS PR #311) drains them 16× faster. Resume bounds: the drain
 * (jiffy 2 s, hrtimer 125 ms) plus TCP's backed-off retransmission timer and margin.
 */
function ringFullStorm(wake: 'jiffy' | 'hrtimer'): Scenario {
  const floodMs = 100;
  const probeMs = 500;
  const lab = fourQps(4);
  return {
    id: `ring-full-storm${wake === 'jiffy' ? '' : '-hrtimer'}`,
    fault: 'ring-full storms',
    title: `8 TCP senders (5 EP→RC, 3 RC→EP) on 4 QPs of 7 slots, plus a ${floodMs} ms flood of 60-byte UDP frames (16 flows, 200 kpps) from the EP; ${wake === 'jiffy' ? '1-jiffy wake timer' : '250 µs hrtimer wake'}`,
    lab: { ...lab, params: { transport: lab.params?.transport ?? {}, netdev: { queues: 4, wakeTimer: wake } } },
    from: 'ep',
    bytes: 3_000_000,
    streams: [
      ...[1, 2, 3, 4].map((i) => ({ from: 'ep' as const, bytes: 1_000_000, port: 5310 + i })),
      ...[5, 6, 7].map((i) => ({ from: 'rc' as const, bytes: 1_000_000, port: 5310 + i })),
    ],
    datagrams: { from: 'ep', flows: 16, datagrams: 2_000, size: 18, intervalNs: 80 * US, sndbuf: 1 << 20, stopAfterNs: floodMs * MS },
    faultAfterNs: 5 * MS,
    deadlineNs: 6000 * MS,
    steps: [{ at: (floodMs + probeMs) * MS, run: (l, notes) => notes.set('backlog', qdiscBacklog(l, 'ep')) }],
    healAtNs: floodMs * MS,
    resumeBoundNs: wake === 'jiffy' ? 2500 * MS : 300 * MS,
    account: (v) => {
      const drv = noDriverLoss(v);
      if (drv !== null) return drv;
      if (counterDelta(v, 'ep', 'txStops') === 0 || counterDelta(v, 'ep', 'txTimerExpiries') === 0) return `the storm never filled a ring: ep tx stops +${counterDelta(v, 'ep', 'txStops')}, timer expiries +${counterDelta(v, 'ep', 'txTimerExpiries')}`;
      if (counterDelta(v, 'ep', 'udpSndbufErrors') === 0) return 'the flood never overflowed the qdisc (SndbufErrors +0)';
      if (counterDelta(v, 'ep', 'qdiscDrops') < counterDelta(v, 'ep', 'udpSndbufErrors')) return `qdisc drops +${counterDelta(v, 'ep', 'qdiscDrops')} < SndbufErrors +${counterDelta(v, 'ep', 'udpSndbufErrors')}`;
      const reordered = v.datagrams === null ? 0 : datagramTotals(v.datagrams).reordered;
      if (reordered !== 0) return `${reordered} datagrams reordered within a flow (one flow, one queue)`;
      return udpLoss(v, 'ep', counterDelta(v, 'rc', 'rxDropped'));
    },
    accountDetail: (v) =>
      `${udpDetail(v, 'ep')} (rc rx_dropped +${counterDelta(v, 'rc', 'rxDropped')}); ep qdisc drops +${counterDelta(v, 'ep', 'qdiscDrops')} (TCP's recovered: RetransSegs +${bothDelta(v, 'retransSegs')}); no tx_dropped/tx_errors; ep subqueue stops +${counterDelta(v, 'ep', 'txStops')}, wake-timer expiries +${counterDelta(v, 'ep', 'txTimerExpiries')}, NETDEV_TX_BUSY +${counterDelta(v, 'ep', 'txBusy')}`,
    weakness: {
      expect: wake === 'jiffy' ? 'shown' : 'absent',
      observed: (v) => {
        const backlog = v.notes.get('backlog') ?? -1;
        const slots = v.lab.boards.ep.transport()?.qps[0]?.txRing.maxEntry ?? 0;
        return {
          shown: backlog > 0,
          detail: `${slots}-slot rings (at most ${slots - 1} free, tx_start 10); ${probeMs} ms after the flood the EP qdiscs still held ${backlog} frames; ep subqueue stops +${counterDelta(v, 'ep', 'txStops')}, wake-timer expiries +${counterDelta(v, 'ep', 'txTimerExpiries')}, ${(counterDelta(v, 'ep', 'txStops') === 0 ? 0 : (v.after.ep.txPackets - v.before.ep.txPackets) / counterDelta(v, 'ep', 'txStops')).toFixed(1)} frames per stop`,
        };
      },
    },
  };
}

/**
 * A step (at 0) that counts the packets every ntb0 qdisc of both boards discards when the core
 * resets it (`qdisc_reset`: carrier off, fewer real TX queues), which the kernel counts nowhere:
 * `purged` in `notes`, and `purgedUdp` for UDP datagrams; and the UDP datagrams the ARP tables
 * drop while their neighbour is unresolved (`arpUdp`; `arpUdpQueueFull` of them past
 * unres_qlen_bytes, counted in unresolved_discards, the rest with an entry that failed or was
 * flushed at carrier loss, counted nowhere).
 */
function watchPurges(): ScenarioStep {
  return {
    at: 0,
    run: (lab, notes) => {
      for (const b of ['rc', 'ep'] as const) {
        lab.boards[b].stack.arp.addDropTap((skb, why) => {
          if (skb.ip.protocol !== IPPROTO.UDP) return;
          notes.set('arpUdp', (notes.get('arpUdp') ?? 0) + 1);
          if (why === 'NEIGH_QUEUEFULL') notes.set('arpUdpQueueFull', (notes.get('arpUdpQueueFull') ?? 0) + 1);
        });
        const nd = lab.boards[b].netdev();
        if (nd === null) continue;
        for (let i = 0; i < nd.ndev.numTxQueues; i++) {
          const q = nd.ndev.txQueue(i).qdisc;
          const purge = q.purge.bind(q);
          q.purge = () => {
            const out = purge();
            notes.set('purged', (notes.get('purged') ?? 0) + out.length);
            notes.set('purgedUdp', (notes.get('purgedUdp') ?? 0) + out.filter((skb) => skb.ip.protocol === IPPROTO.UDP).length);
            return out;
          };
        }
      }
    },
  };
}

/**
 * A step running the lab command `line` on `board` (throwing on a non-zero status) that adds to
 * `ringLoss` in `notes` the frames the rings of the QP links it resets can hold, both ways
 * (slots − 1 per ring): frames in a ring whose QP link is reset are lost, counted nowhere.
 * `resets(before, after)` gives the QP links the command resets from the queue counts.
 */
function labStep(at: number, board: 'rc' | 'ep', line: string, resets: (before: number, after: number) => number): ScenarioStep {
  return {
    at,
    run: (lab, notes) => {
      const nd = lab.boards[board].netdev();
      const before = nd?.queues.length ?? 0;
      runLabLine(lab, board, line);
      const slots = lab.boards[board].transport()?.qps[0]?.txRing.maxEntry ?? 0;
      notes.set('ringLoss', (notes.get('ringLoss') ?? 0) + 2 * Math.max(0, slots - 1) * resets(before, nd?.queues.length ?? 0));
      notes.set('commands', (notes.get('commands') ?? 0) + 1);
    },
  };
}

/** Where a storm of QP link resets may lose: malformed frames never (stale ones are refused by the ver check, see `resetLoss`); UDP only as `udpLoss` allows with the uncounted losses the notes bound. */
function resetStormLoss(v: AccountingView, udpFrom: 'rc' | 'ep'): string | null {
  const malformed = malformedFrames(v);
  if (malformed !== null) return malformed;
  const to = peerBoard(udpFrom);
  const uncounted = (v.notes.get('purgedUdp') ?? 0) + (v.notes.get('ringLoss') ?? 0) + (v.notes.get('arpUdp') ?? 0);
  return udpLoss(v, udpFrom, uncounted + counterDelta(v, udpFrom, 'txDropped') + counterDelta(v, to, 'rxDropped'));
}

function resetStormDetail(v: AccountingView, udpFrom: 'rc' | 'ep'): string {
  const to = peerBoard(udpFrom);
  return `${udpDetail(v, udpFrom)} (at most: ${v.notes.get('purgedUdp') ?? 0} UDP in reset qdiscs + ${v.notes.get('ringLoss') ?? 0} ring slots of reset QP links, uncounted as in the kernel, + ${v.notes.get('arpUdp') ?? 0} dropped by ARP waiting for a neighbour (${v.notes.get('arpUdpQueueFull') ?? 0} past unres_qlen_bytes in unresolved_discards, the rest with a failed or flushed entry, uncounted) + ${udpFrom} tx_dropped +${counterDelta(v, udpFrom, 'txDropped')} + ${to} rx_dropped +${counterDelta(v, to, 'rxDropped')}); qdisc resets discarded ${v.notes.get('purged') ?? 0} packets; TCP RetransSegs +${bothDelta(v, 'retransSegs')}; ${staleRefusedDetail(v.after.rc.rxErrVer + v.after.ep.rxErrVer)}`;
}

/**
 * `ethtool -L ntb0 combined N` storm: 12 rounds over 1, 2, 3, 4 queues, each round the EP
 * first and the RC 5 ms later (asymmetric channel counts in between), every 25 ms, while a 9 MB
 * stream flows EP→RC and 4 paced UDP flows (1000-byte datagrams, 10 kpps) flow RC→EP.
 * Resume bound: the last command resets at most 3 QP links; their frames are recovered by a
 * TCP retransmission (TCP_RTO_MIN 200 ms, backed off once) after the 10 ms QP link retries.
 *
 * `steered`: RPS and RFS on both boards first — rx-0's packets (the queue every channel count
 * keeps) go to CPUs 4-7 by hash, or to the CPU their socket was last used on; the queues a
 * shrink removes lose their tables, those a grow adds start without. The same loss rule and
 * resume bound: steering moves packets between backlogs, never loses or reorders them.
 */
function ethtoolStorm(steered: boolean): Scenario {
  return commandStorm({
    id: `ethtool-L-storm${steered ? '-rps-rfs' : ''}`,
    fault: 'ethtool -L storms',
    command: (n) => `ethtool -L ntb0 combined ${n}`,
    values: [2, 4, 1, 3, 1, 4, 2, 1, 4, 3, 2, 1],
    periodNs: 25 * MS,
    resets: (b, a) => Math.max(0, b - a),
    lab: fourQps(1),
    bytes: 9_000_000,
    datagrams: { from: 'rc', flows: 4, datagrams: 3_000, size: 1000, intervalNs: 400 * US, stopAfterNs: 600 * MS },
    ...(steered ? { setup: ['echo f0 > /sys/class/net/ntb0/queues/rx-0/rps_cpus', 'sysctl -w net.core.rps_sock_flow_entries=32768', 'echo 2048 > /sys/class/net/ntb0/queues/rx-0/rps_flow_cnt'] } : {}),
  });
}

/**
 * `ip link set ntb0 mtu N` storm on both boards (EP first, RC 5 ms later; every 30 ms) while a
 * 4 MB stream flows EP→RC and 2 paced UDP flows (1000-byte datagrams, below every MTU used)
 * flow RC→EP. Each change on a running ntb0 is ntb_netdev_change_mtu: ntb_transport_link_down
 * of its QP, RX buffers re-posted when the MTU grows, ntb_transport_link_up — a QP link reset
 * of both directions. Resume bound, that of a QP link reset: the 10 ms link retries, then
 * TCP's retransmission (200 ms, backed off once): 700 ms, plus ARP's next probe.
 */
function mtuStorm(): Scenario {
  return commandStorm({
    id: 'mtu-storm',
    fault: 'MTU changes under load',
    command: (m) => `ip link set ntb0 mtu ${m}`,
    values: [9000, 1500, 4000, 65000, 2000, 9000, 1500, 65000],
    periodNs: 30 * MS,
    resets: (b) => b,
    bytes: 4_000_000,
    datagrams: { from: 'rc', flows: 2, datagrams: 2_000, size: 1000, intervalNs: 500 * US, stopAfterNs: 500 * MS },
  });
}

/** A storm of one lab command: what varies between the two storms of QP link resets. */
interface CommandStorm {
  readonly id: string;
  readonly fault: string;
  /** The command line for one value. */
  readonly command: (value: number) => string;
  /** One round per value: the EP runs the command, the RC 5 ms later. */
  readonly values: readonly number[];
  /** Time between rounds (ns). */
  readonly periodNs: number;
  /** QP links a command resets, from the queue counts before and after it. */
  readonly resets: (before: number, after: number) => number;
  readonly lab?: Scenario['lab'];
  /** The TCP stream EP→RC (bytes). */
  readonly bytes: number;
  /** The paced UDP flows RC→EP. */
  readonly datagrams: NonNullable<Scenario['datagrams']>;
  /** Lab command lines both boards run before the traffic starts. */
  readonly setup?: readonly string[];
}

/**
 * A scenario running `o.command` over `o.values` on both boards (EP first, RC 5 ms later, so
 * they disagree for 5 ms each round) every `o.periodNs` under a TCP stream EP→RC and UDP flows
 * RC→EP, with the loss rule of QP link resets. Resume bound, that of a QP link reset: the 10 ms
 * link retries, then TCP's retransmission (200 ms, backed off once): 700 ms, plus ARP's next
 * probe (the resets take the carrier down).
 */
function commandStorm(o: CommandStorm): Scenario {
  const steps: ScenarioStep[] = [watchPurges()];
  for (const line of o.setup ?? []) for (const board of ['rc', 'ep'] as const) steps.push({ at: 0, run: (lab) => runLabLine(lab, board, line) });
  o.values.forEach((v, i) => {
    steps.push(labStep(i * o.periodNs, 'ep', o.command(v), o.resets));
    steps.push(labStep(i * o.periodNs + 5 * MS, 'rc', o.command(v), o.resets));
  });
  const tcpMb = o.bytes / 1e6;
  return {
    id: o.id,
    fault: o.fault,
    title: `${o.setup === undefined ? '' : `${o.setup.join('; ')} on both boards, then `}${o.values.length * 2} × ${o.command(0).replace(/ 0$/, ' N')} (${o.values.join('→')}; EP, then RC 5 ms later) every ${o.periodNs / MS} ms; ${tcpMb} MB TCP EP→RC and ${o.datagrams.flows} UDP flows RC→EP`,
    ...(o.lab === undefined ? {} : { lab: o.lab }),
    from: 'ep',
    bytes: o.bytes,
    datagrams: o.datagrams,
    faultAfterNs: 10 * MS,
    deadlineNs: 6000 * MS,
    steps,
    healAtNs: (o.values.length - 1) * o.periodNs + 5 * MS,
    resumeBoundNs: 700 * MS + ARP_REPROBE_NS,
    account: (v) => resetStormLoss(v, 'rc'),
    accountDetail: (v) => resetStormDetail(v, 'rc'),
  };
}

/** The fq_codel qdiscs a storm has put on a lab's boards, to read their drops after tc has replaced them. */
const grafted = new WeakMap<Lab, Set<Qdisc>>();

/**
 * A step running the tc command `line` on `board` (throwing on a non-zero status) that adds to
 * `notes` what the graft can lose, uncounted: `heldAtGraft`, the packets in the board's ntb0
 * qdiscs just before (a graft resets the qdisc it replaces, and at an mq class every TX queue's,
 * as dev_deactivate does), and `codelDrops`, the drops of every fq_codel the storm has seen.
 */
function tcStep(at: number, board: 'rc' | 'ep', line: string): ScenarioStep {
  return {
    at,
    run: (lab, notes) => {
      const seen = grafted.get(lab) ?? new Set<Qdisc>();
      grafted.set(lab, seen);
      const qdiscs = (): Qdisc[] => lab.boards[board].netdev()?.ndev.txQdiscs ?? [];
      const before = qdiscs();
      notes.set('heldAtGraft', (notes.get('heldAtGraft') ?? 0) + qdiscBacklog(lab, board));
      runLabLine(lab, board, line);
      for (const q of [...before, ...qdiscs()]) if (q.kind === 'fq_codel') seen.add(q);
      notes.set('codelDrops', [...seen].reduce((n, q) => n + q.stats.drops, 0));
      notes.set('commands', (notes.get('commands') ?? 0) + 1);
    },
  };
}

/** The graft storm's commands, in order: every kind and place tc can graft on a multiqueue ntb0, ending on the defaults. */
const QDISC_STORM = [
  'tc qdisc replace dev ntb0 root fq_codel',
  'tc qdisc replace dev ntb0 root handle 1: mq',
  'tc qdisc replace dev ntb0 parent 1:1 fq_codel limit 64 target 1ms',
  'tc qdisc change dev ntb0 parent 1:1 fq_codel target 2ms interval 20ms',
  'tc qdisc replace dev ntb0 parent 1:2 fq_codel',
  'tc qdisc del dev ntb0 root',
  'tc qdisc replace dev ntb0 root pfifo_fast',
  'tc qdisc del dev ntb0 root',
] as const;

/**
 * `tc qdisc` graft storm on both boards (EP first, RC 5 ms later; every 25 ms, the list twice)
 * over two of four queue pairs while a 6 MB stream flows EP→RC and 4 paced UDP flows
 * (1000-byte datagrams, 400 a second: well below what the EP's 8 ms doorbell poll takes from the
 * RC's two 7-slot rings, so neither they nor the stream's ACKs stand in the RC's qdiscs) flow
 * RC→EP. A graft changes no QP link and no carrier: what it
 * loses is what the qdiscs it resets held, and what fq_codel dropped meanwhile (UDP's sends all
 * succeed). Resume bound: TCP's retransmission of a purged segment (TCP_RTO_MIN 200 ms, backed
 * off once): 700 ms.
 */
function qdiscStorm(): Scenario {
  const steps: ScenarioStep[] = [watchPurges()];
  const rounds = [...QDISC_STORM, ...QDISC_STORM];
  const period = 25 * MS;
  rounds.forEach((line, i) => {
    steps.push(tcStep(i * period, 'ep', `sudo ${line}`));
    steps.push(tcStep(i * period + 5 * MS, 'rc', `sudo ${line}`));
  });
  return {
    id: 'qdisc-storm',
    fault: 'tc qdisc grafts under load',
    title: `${rounds.length * 2} × sudo tc qdisc replace|change|del on ntb0 (root fq_codel, root mq, fq_codel on mq classes, pfifo_fast root, defaults back; EP, then RC 5 ms later) every 25 ms; 6 MB TCP EP→RC and 4 UDP flows RC→EP`,
    lab: fourQps(2),
    from: 'ep',
    bytes: 6_000_000,
    datagrams: { from: 'rc', flows: 4, datagrams: 60, size: 1000, intervalNs: 10 * MS, stopAfterNs: 600 * MS },
    faultAfterNs: 10 * MS,
    deadlineNs: 6000 * MS,
    steps,
    healAtNs: (rounds.length - 1) * period + 5 * MS,
    resumeBoundNs: 700 * MS,
    carrierDuringFault: 'on',
    account: (v) => {
      const malformed = malformedFrames(v);
      if (malformed !== null) return malformed;
      const uncounted = (v.notes.get('heldAtGraft') ?? 0) + (v.notes.get('codelDrops') ?? 0) + (v.notes.get('purgedUdp') ?? 0) + (v.notes.get('arpUdp') ?? 0);
      return udpLoss(v, 'rc', uncounted + counterDelta(v, 'rc', 'txDropped') + counterDelta(v, 'ep', 'rxDropped'));
    },
    accountDetail: (v) =>
      `${udpDetail(v, 'rc')} (at most: ${v.notes.get('heldAtGraft') ?? 0} packets in the qdiscs the grafts reset + ${v.notes.get('codelDrops') ?? 0} fq_codel drops + ${v.notes.get('purgedUdp') ?? 0} UDP in other resets + ${v.notes.get('arpUdp') ?? 0} dropped by ARP waiting for a neighbour whose probes a reset discarded, uncounted as in the kernel, + rc tx_dropped +${counterDelta(v, 'rc', 'txDropped')} + ep rx_dropped +${counterDelta(v, 'ep', 'rxDropped')}); ${v.notes.get('commands') ?? 0} tc commands; TCP RetransSegs +${bothDelta(v, 'retransSegs')}`,
  };
}

/** The load-storm scenarios, in matrix order. */
export function stormScenarios(): Scenario[] {
  return [ringFullStorm('jiffy'), ringFullStorm('hrtimer'), ethtoolStorm(false), ethtoolStorm(true), mtuStorm(), qdiscStorm()];
}
