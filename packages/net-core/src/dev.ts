/**
 * The core TX and RX entry points of net/core/dev.c: `__dev_queue_xmit` with the TX queue pick
 * (`netdev_core_pick_tx`, `netdev_pick_tx`, XPS, `skb_tx_hash`), the qdisc run loop
 * (`__qdisc_run` / `sch_direct_xmit`, with `dev_queue_xmit_nit` to the stack's packet handlers
 * before each driver call when any is installed) and `netif_rx`.
 *
 * Queue pick follows tools-and-peers §D: with one real queue, queue 0; else the driver's
 * `selectQueue`, or the socket's cached queue unless it is unset, out of range or the skb is
 * `oooOkay`; a re-pick tries XPS (RX-queue map by the socket's recorded RX queue, then the
 * CPU map by `senderCpu`), then `reciprocal_scale(hash, real_num_tx_queues)`; the result is
 * cached on a connected socket. Costs: the per-packet stack cost is charged by the protocol
 * that builds the packet (`txPacket`); the qdisc and the pick charge nothing more, the driver
 * charges its own `startXmit` work.
 */
import type { Cpu, ExecContext } from '@ntbsim/kernel';
import { NetError } from './errors.js';
import type { NetDevice, NetdevQueue } from './netDevice.js';
import { flowHash, reciprocalScale, type Skb } from './skb.js';
import { RPS_NO_CPU, type NetRx, type NetXmit, type RpsDevFlow } from './types.js';

function devOf(skb: Skb, what: string): NetDevice {
  const dev = skb.dev;
  if (dev === null) throw new NetError('EINVAL', `${what}: skb.dev is not set (the device to send on or received on)`);
  return dev;
}

/** The skb's flow hash, computing it from the 5-tuple when unset (skb_get_hash). */
export function skbGetHash(skb: Skb, seed: number): number {
  if (skb.hash === 0) skb.hash = flowHash(skb, seed);
  return skb.hash;
}

function xpsPick(dev: NetDevice, skb: Skb, key: number, field: 'xpsCpus' | 'xpsRxqs'): number {
  const queues: number[] = [];
  for (let i = 0; i < dev.numTxQueues; i++) {
    const mask = dev.txQueue(i)[field];
    if (key < 32 && ((mask >>> key) & 1) === 1) queues.push(i);
  }
  if (queues.length === 0) return -1;
  const q = queues.length === 1 ? (queues[0] as number) : (queues[reciprocalScale(skbGetHash(skb, dev.stack.hashrnd), queues.length)] as number);
  return q < dev.realNumTxQueues ? q : -1;
}

/** The XPS choice for `skb` (get_xps_queue), or -1 when XPS has no answer. */
export function getXpsQueue(dev: NetDevice, skb: Skb): number {
  let anyCpus = false;
  let anyRxqs = false;
  for (let i = 0; i < dev.numTxQueues; i++) {
    const q = dev.txQueue(i);
    anyCpus ||= q.xpsCpus !== 0;
    anyRxqs ||= q.xpsRxqs !== 0;
  }
  let idx = -1;
  const rxq = skb.sk?.rxQueueMapping ?? -1;
  if (anyRxqs && rxq >= 0) idx = xpsPick(dev, skb, rxq, 'xpsRxqs');
  if (idx < 0 && anyCpus && skb.senderCpu >= 0) idx = xpsPick(dev, skb, skb.senderCpu, 'xpsCpus');
  return idx;
}

/** The hash spread of `skb` over the real TX queues (skb_tx_hash). */
export function skbTxHash(dev: NetDevice, skb: Skb): number {
  const qcount = dev.realNumTxQueues;
  if (skb.rxQueue >= 0) {
    let h = skb.rxQueue;
    while (h >= qcount) h -= qcount;
    return h;
  }
  return reciprocalScale(skbGetHash(skb, dev.stack.hashrnd), qcount);
}

/** The TX queue for `skb` without a driver hook (netdev_pick_tx): socket cache, XPS, hash. */
export function netdevPickTx(dev: NetDevice, skb: Skb): number {
  const sk = skb.sk;
  let qi = sk?.txQueueMapping ?? -1;
  if (qi < 0 || skb.oooOkay || qi >= dev.realNumTxQueues) {
    let ni = getXpsQueue(dev, skb);
    if (ni < 0) ni = skbTxHash(dev, skb);
    if (qi !== ni && sk !== null && sk.cachesTxQueue) sk.txQueueMapping = ni;
    qi = ni;
  }
  return qi;
}

/** Pick and record the TX queue of `skb` (netdev_core_pick_tx); sets `senderCpu` and `queueMapping`. */
export function netdevCorePickTx(dev: NetDevice, skb: Skb, ctx: ExecContext): NetdevQueue {
  if (skb.senderCpu < 0) skb.senderCpu = ctx.cpu.id;
  let idx = 0;
  if (dev.realNumTxQueues !== 1) {
    idx = dev.ops.selectQueue !== undefined ? dev.ops.selectQueue(skb, ctx) : netdevPickTx(dev, skb);
    if (!Number.isInteger(idx) || idx < 0 || idx >= dev.realNumTxQueues) {
      dev.capTxqueueWarnings++;
      idx = 0;
    }
  }
  skb.queueMapping = idx;
  return dev.txQueue(idx);
}

/**
 * Run a qdisc (`qdisc_run` → `__qdisc_run`): hand skbs to the driver while its queue is not
 * stopped, up to `dev_tx_weight`; NETDEV_TX_BUSY requeues at the head and reschedules. The
 * lockless qdisc's seqlock (`qdisc_run_begin`'s spin_trylock) is held by the CPU that ran it
 * until the virtual time its run ended: another CPU that reaches the qdisc (at its `ctx.time`)
 * before then only marks it MISSED, and the owner reschedules it (`__netif_schedule` on the
 * owner's CPU) when its run ends (`qdisc_run_end`); one that reaches it later runs it itself
 * (one that got there before the owner's run began, which the model has already played, is
 * treated as contending, so each queue's driver calls stay in time order). A
 * qdisc on one TX queue stops when that queue is stopped; a root shared by several checks the
 * TX queue of each packet (`skb_get_tx_queue`): a packet for a stopped queue is requeued and
 * holds the qdisc until that queue wakes (dequeue_skb, sch_direct_xmit).
 */
export function qdiscRun(txq: NetdevQueue, ctx: ExecContext): void {
  const q = txq.qdisc;
  const dev = txq.dev;
  const stack = dev.stack;
  const sim = ctx.host.sim;
  const owner = q.runningCpu;
  // The trylock fails only while another CPU holds the seqlock when this one gets there: the
  // time this step has reached (ctx.time), not when it started (sim.now), which may be long before.
  if (owner !== null && owner !== ctx.cpu && ctx.time < q.runningUntil) {
    if (!q.missed) {
      q.missed = true;
      sim.at(q.runningUntil, () => {
        q.missed = false;
        stack.netifSchedule(txq, owner);
      });
    }
    return;
  }
  let quota = stack.sysctl.devTxWeight;
  for (;;) {
    if (!dev.isUp || !dev.netifCarrierOk()) break;
    if (q.oneTxQueue) {
      if (txq.stopped) break;
    } else {
      const head = q.peekRequeued();
      if (head !== undefined && dev.txQueue(head.queueMapping).stopped) break;
    }
    if (quota <= 0) {
      if (q.qlen > 0) stack.netifSchedule(txq, ctx.cpu);
      break;
    }
    const skb = q.dequeue(ctx);
    if (skb === undefined) break;
    if (!q.oneTxQueue && dev.txQueue(skb.queueMapping).stopped) {
      q.requeue(skb);
      break;
    }
    quota--;
    const len = skb.len;
    // xmit_one: dev_queue_xmit_nit before ndo_start_xmit (again on a retry after NETDEV_TX_BUSY).
    if (stack.nitActive) stack.deliverNit(skb, dev, 'out', ctx);
    const rc = dev.ops.startXmit(skb, ctx);
    if (rc === 'busy') {
      q.requeue(skb);
      stack.netifSchedule(txq, ctx.cpu);
      break;
    }
    q.stats.packets++;
    q.stats.bytes += len;
  }
  q.runningCpu = ctx.cpu;
  q.runningUntil = ctx.time;
}

/**
 * Queue `skb` for transmission on `skb.dev` (`__dev_queue_xmit`): pick the TX queue, enqueue
 * on its qdisc (NET_XMIT_DROP and a qdisc drop when full; NET_XMIT_CN when fq_codel made room
 * by dropping from the same flow) and run the qdisc in this context.
 * A down device or one without carrier has the noop qdisc (`dev_deactivate`): `noop_enqueue`
 * drops the skb, counts it in tx_dropped and returns NET_XMIT_CN, which the protocols treat as
 * sent (`net_xmit_errno(NET_XMIT_CN)` is 0: UDP counts OutDatagrams, not SndbufErrors).
 */
export function devQueueXmit(skb: Skb, ctx: ExecContext): NetXmit {
  const dev = devOf(skb, 'devQueueXmit');
  if (!dev.isUp || !dev.netifCarrierOk()) {
    dev.stats.txDropped++;
    skb.free(ctx);
    return 'cn';
  }
  const txq = netdevCorePickTx(dev, skb, ctx);
  if (dev.noQueue) {
    // noqueue: dev_hard_start_xmit at once; a busy virtual device drops ("Virtual device … asks to queue packet!").
    const len = skb.len;
    // dev_hard_start_xmit → xmit_one: the ptype_all handlers see it as it goes to the driver.
    if (!txq.stopped && dev.stack.nitActive) dev.stack.deliverNit(skb, dev, 'out', ctx);
    if (txq.stopped || dev.ops.startXmit(skb, ctx) === 'busy') {
      dev.stats.txDropped++;
      skb.free(ctx);
      return 'drop';
    }
    txq.qdisc.stats.packets++;
    txq.qdisc.stats.bytes += len;
    return 'success';
  }
  const rc = txq.qdisc.enqueue(skb, ctx);
  if (rc === 'drop') {
    skb.free(ctx);
    return 'drop';
  }
  qdiscRun(txq, ctx);
  return rc;
}

/**
 * get_rps_cpu: where RPS and RFS steer `skb`, and its RFS flow entry (null when RPS picked the
 * CPU), or null to keep it on the current CPU. The RX queue is the one the driver recorded
 * (queue 0 when none; none for a recorded queue past real_num_rx_queues). With a flow table on
 * the queue and net.core.rps_sock_flow_entries set, the flow goes to the CPU its socket was last
 * used on — once the packets it queued on its current CPU have all been taken from that backlog
 * (input_queue_head past the flow's last_qtail), so it is never reordered; otherwise the RPS
 * map's CPU at reciprocal_scale of the flow hash. The hash is skb_get_hash's (the flow
 * dissector's, uncharged: it reads the headers only, ~0.1 µs beside the per-packet stack cost).
 */
function rpsSteer(dev: NetDevice, skb: Skb): { readonly cpu: Cpu; readonly flow: RpsDevFlow | null } | null {
  let q = 0;
  if (skb.rxQueue >= 0) {
    if (skb.rxQueue >= dev.realNumRxQueues) return null;
    q = skb.rxQueue;
  }
  const { map, flows } = dev.rxQueueSteeringOf(q);
  if (map.length === 0 && flows === null) return null;
  const stack = dev.stack;
  const hash = skbGetHash(skb, stack.hashrnd);
  const next = flows === null ? -1 : stack.rpsDesiredCpu(hash);
  if (flows !== null && next >= 0) {
    const ncpus = dev.host.cpus.length;
    const bucket = (hash & flows.mask) >>> 0;
    let flow = flows.entries.get(bucket);
    if (flow === undefined) {
      flow = { cpu: RPS_NO_CPU, lastQtail: 0 };
      flows.entries.set(bucket, flow);
    }
    // set_rps_cpu when the flow moves: to its socket's CPU, its backlog place there as of now.
    if (flow.cpu !== next && (flow.cpu >= ncpus || stack.inputQueueHead(flow.cpu) - flow.lastQtail >= 0)) {
      if (next < ncpus) flow.lastQtail = stack.inputQueueHead(next);
      flow.cpu = next;
    }
    if (flow.cpu < ncpus) return { cpu: dev.host.cpu(flow.cpu), flow };
  }
  if (map.length === 0) return null;
  return { cpu: dev.host.cpu(map[reciprocalScale(hash, map.length)] as number), flow: null };
}

/** The CPU RPS and RFS steer `skb` to (get_rps_cpu, see `rpsSteer`), or null to keep it on the current CPU. Steering a flow to a new CPU updates its RFS entry. */
export function getRpsCpu(dev: NetDevice, skb: Skb): Cpu | null {
  return rpsSteer(dev, skb)?.cpu ?? null;
}

/**
 * Hand a received skb to the stack (`netif_rx`): queue it on the backlog of this CPU, or of the
 * one RPS or RFS chooses (`getRpsCpu`), and raise NET_RX there (another CPU by a function call
 * IPI at the end of this CPU's next NET_RX run); NET_RX_DROP (counted in that CPU's softnet
 * dropped and rx_dropped) when the backlog already holds more than netdev_max_backlog packets.
 * `skb.dev` must be the receiving device.
 */
export function netifRx(skb: Skb, ctx: ExecContext): NetRx {
  const dev = devOf(skb, 'netifRx');
  const to = dev.rpsActive ? rpsSteer(dev, skb) : null;
  return dev.stack.enqueueBacklog(skb, ctx, to?.cpu ?? ctx.cpu, to?.flow ?? null);
}

/** The CPU of a `Cpu | ExecContext` argument. */
export function cpuOf(on: Cpu | ExecContext): Cpu {
  return 'cpu' in on ? on.cpu : on;
}
