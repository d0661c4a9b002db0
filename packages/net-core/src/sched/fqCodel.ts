/**
 * The fq_codel qdisc (net/sched/sch_fq_codel.c over include/net/codel_impl.h), the default of
 * systemd's sysctl.d (`net.core.default_qdisc = fq_codel`) on most distributions.
 *
 * Flows: an skb goes to flow `reciprocal_scale(skb_get_hash(skb), flows)`. Each flow is a FIFO
 * with a deficit; a flow that becomes active joins the tail of `new_flows` with one quantum
 * (new_flow_count counts it). Dequeue serves the head of `new_flows`, else of `old_flows`: a
 * flow whose deficit is spent gets another quantum and moves to the tail of `old_flows`; a
 * flow found empty leaves the lists (a new flow first passes through `old_flows` once, so new
 * flows cannot starve old ones). Each flow runs CoDel on its packets: the sojourn time (now −
 * enqueue time) is compared with `target` unless the whole qdisc holds at most one MTU; once
 * it has stayed above target for `interval`, CoDel enters the dropping state and drops (or
 * ECN-marks an ECT packet) at the head, the next drop `interval / sqrt(count)` later, the
 * inverse square root kept in 16-bit fixed point by Newton steps as codel_Newton_step does.
 * Times are CoDel's units, ns >> 10 (CODEL_SHIFT), not wrapped at 32 bits.
 *
 * Overflow: over `limit` packets or `memory_limit` bytes of truesize, the fattest flow (the
 * largest byte backlog) loses packets from its head, up to half of its backlog and at most
 * `drop_batch` packets (fq_codel_drop), counted in drop_overlimit (and drop_overmemory); if
 * that was the flow just enqueued to, the enqueue returns NET_XMIT_CN.
 */
import { showValue, type ExecContext, type Ns } from '@ntbsim/kernel';
import { skbGetHash } from '../dev.js';
import { NetError } from '../errors.js';
import { Fifo } from '../fifo.js';
import { INET_ECN } from '../inet.js';
import { Qdisc, type QdiscEnqueue } from './qdisc.js';
import { reciprocalScale, type Skb } from '../skb.js';

/** CODEL_SHIFT: CoDel's clock is ns >> 10 (1.024 µs units). */
const CODEL_SHIFT = 10;
/** REC_INV_SQRT_BITS = 16: the precision of the stored 1/sqrt(count). */
const REC_INV_SQRT_SHIFT = 32 - 16;

/** fq_codel parameters (`tc qdisc … fq_codel limit N flows N target T interval I quantum Q ecn|noecn ce_threshold T drop_batch N memory_limit B`). */
export interface FqCodelParams {
  /** Packets over which the fattest flow is cut (limit). Default 10240. */
  readonly limit: number;
  /** Flow buckets (flows), fixed at creation. Default 1024. */
  readonly flows: number;
  /** Bytes a flow may send per round (quantum). Default the device's MTU + hard header (psched_mtu). */
  readonly quantum: number;
  /** CoDel target sojourn time (ns). Default 5 ms. */
  readonly targetNs: Ns;
  /** CoDel interval (ns). Default 100 ms. */
  readonly intervalNs: Ns;
  /** Mark ECT packets with CE instead of dropping them (ecn). Default true. */
  readonly ecn: boolean;
  /** Mark every ECT packet whose sojourn exceeds this (ns), or null (ce_threshold off). Default null. */
  readonly ceThresholdNs: Ns | null;
  /** Packets dropped at most at once from the fattest flow on overflow (drop_batch). Default 64. */
  readonly dropBatch: number;
  /** Bytes of skb truesize over which the fattest flow is cut (memory_limit, 0..2^31 as fq_codel_change caps it). Default 32 MiB. */
  readonly memoryLimit: number;
}

/** The parameter names, in `tc` order. */
const FQ_CODEL_PARAMS: readonly (keyof FqCodelParams)[] = ['limit', 'flows', 'quantum', 'targetNs', 'intervalNs', 'ecn', 'ceThresholdNs', 'dropBatch', 'memoryLimit'];

/** fq_codel's defaults for a device whose psched_mtu (MTU + hard header) is `mtu` bytes (fq_codel_init). */
export function fqCodelDefaults(mtu: number): FqCodelParams {
  return { limit: 10 * 1024, flows: 1024, quantum: mtu, targetNs: 5_000_000, intervalNs: 100_000_000, ecn: true, ceThresholdNs: null, dropBatch: 64, memoryLimit: 32 << 20 };
}

/** Check the parameters given (fq_codel_change's ranges; the defaults, such as a small device's quantum, are not checked, as in fq_codel_init): EINVAL naming the first bad one. */
export function validateFqCodelParams(p: Partial<FqCodelParams>): void {
  for (const k of Object.keys(p)) {
    if (!FQ_CODEL_PARAMS.includes(k as keyof FqCodelParams)) throw new NetError('EINVAL', `fq_codel: unknown parameter ${k}; allowed ${FQ_CODEL_PARAMS.join(', ')}`);
  }
  const NS_MAX = 0xffffffff * 1000;
  // [tc name, value, min, max, unit]: flows 1..65536 (fq_codel_init), quantum FQ_CODEL_QUANTUM_MIN..MAX.
  const checks: readonly (readonly [string, number | null | undefined, number, number, string])[] = [
    ['limit', p.limit, 1, 0xffffffff, 'packets'],
    ['flows', p.flows, 1, 65536, 'buckets'],
    ['quantum', p.quantum, 256, 1 << 20, 'bytes'],
    ['target', p.targetNs, 0, NS_MAX, 'ns'],
    ['interval', p.intervalNs, 1, NS_MAX, 'ns'],
    ['ce_threshold', p.ceThresholdNs, 0, NS_MAX, 'ns'],
    ['drop_batch', p.dropBatch, 1, 0xffffffff, 'packets'],
    ['memory_limit', p.memoryLimit, 0, 2 ** 31, 'bytes'],
  ];
  for (const [name, v, min, max, unit] of checks) {
    if (v === undefined || v === null) continue;
    if (!Number.isInteger(v) || v < min || v > max) throw new NetError('EINVAL', `fq_codel ${name} ${showValue(v)}: allowed an integer in ${min}..${max} (${unit})`);
  }
  if (p.ecn !== undefined && typeof p.ecn !== 'boolean') throw new NetError('EINVAL', `fq_codel ecn ${showValue(p.ecn)}: allowed true or false`);
}

/** fq_codel's extended counters (`tc -s qdisc`: TCA_FQ_CODEL_XSTATS_QDISC). */
export interface FqCodelXstats {
  /** Largest packet seen at dequeue (bytes). */
  readonly maxpacket: number;
  /** Packets dropped because the qdisc was over its limit or memory limit. */
  readonly dropOverlimit: number;
  /** Flows that became active (joined new_flows). */
  readonly newFlowCount: number;
  /** Packets CoDel marked CE instead of dropping. */
  readonly ecnMark: number;
  /** Of dropOverlimit, those dropped over the memory limit. */
  readonly dropOvermemory: number;
  /** Packets marked CE over ce_threshold. */
  readonly ceMark: number;
  /** Bytes of truesize queued. */
  readonly memoryUsage: number;
  /** Flows on new_flows. */
  readonly newFlowsLen: number;
  /** Flows on old_flows. */
  readonly oldFlowsLen: number;
}

/** One flow fq_codel_walk lists as a class (`tc -s class show`: classid HANDLE:index+1), as fq_codel_dump_class_stats reports it. */
export interface FqCodelFlowStats {
  /** Flow bucket index, 0..flows−1 (the class's minor is index + 1). */
  readonly index: number;
  /** Packets queued in the flow (the class's qlen: the skbs from flow->head). */
  readonly qlen: number;
  /** Bytes queued in the flow (the class's backlog: q->backlogs[idx]). */
  readonly backlog: number;
  /** DRR deficit, bytes; negative once overspent (class_stats.deficit). */
  readonly deficit: number;
  /** CoDel's drop count in the current dropping cycle (class_stats.count: cvars.count). */
  readonly count: number;
  /** CoDel's count when the last dropping cycle began (class_stats.lastcount). */
  readonly lastcount: number;
  /** Sojourn of the last packet dequeued from the flow, µs (class_stats.ldelay: codel_time_to_us of cvars.ldelay). */
  readonly ldelayUs: number;
  /** CoDel is in its dropping state (class_stats.dropping). */
  readonly dropping: boolean;
  /** While dropping: µs from now to the next drop, negative when overdue (class_stats.drop_next); 0 otherwise. */
  readonly dropNextUs: number;
}

/** CoDel's per-flow state (struct codel_vars), times in CoDel units. */
interface CodelVars {
  count: number;
  lastcount: number;
  dropping: boolean;
  recInvSqrt: number;
  firstAboveTime: number;
  dropNext: number;
  ldelay: number;
}

/** One flow bucket (struct fq_codel_flow). */
interface Flow {
  readonly index: number;
  readonly q: Fifo<Skb>;
  readonly enqueuedAt: Fifo<number>;
  deficit: number;
  dropped: number;
  backlog: number;
  /** On new_flows, old_flows, or neither (list_empty(&flow->flowchain)). */
  list: 'new' | 'old' | null;
  readonly cvars: CodelVars;
}

/** codel_Newton_step: one Newton iteration of rec_inv_sqrt ≈ 1/sqrt(count), in 16-bit fixed point. */
function newtonStep(v: CodelVars): void {
  const invsqrt = BigInt(v.recInvSqrt) << BigInt(REC_INV_SQRT_SHIFT);
  const invsqrt2 = (invsqrt * invsqrt) >> 32n;
  let val = (3n << 32n) - BigInt(v.count) * invsqrt2;
  val >>= 2n;
  val = (val * invsqrt) >> BigInt(32 - 2 + 1);
  v.recInvSqrt = Number((val >> BigInt(REC_INV_SQRT_SHIFT)) & 0xffffn);
}

/** codel_time_to_us: a CoDel time (1.024 µs units) in µs, truncated to u32. */
function codelTimeToUs(t: number): number {
  return Math.floor((t * 2 ** CODEL_SHIFT) / 1000) % 2 ** 32;
}

/** codel_control_law: t + interval / sqrt(count). */
function controlLaw(t: number, interval: number, recInvSqrt: number): number {
  return t + reciprocalScale(interval, (recInvSqrt << REC_INV_SQRT_SHIFT) >>> 0);
}

/** IP_ECN_set_ce on the packet's TOS byte: CE set (or already set) on an ECT packet; false on a not-ECT one. */
function ecnSetCe(skb: Skb): boolean {
  const ecn = (skb.ip.tos + 1) & INET_ECN.MASK;
  if ((ecn & 2) === 0) return ecn === 0;
  skb.ip.tos |= INET_ECN.CE;
  return true;
}

/** The fq_codel qdisc on one TX queue (or shared as a root). */
export class FqCodel extends Qdisc {
  /** `fq_codel`. */
  readonly kind = 'fq_codel';
  /** Its parameters (`change` replaces them). */
  params: FqCodelParams;
  /** The flow buckets used so far, by index (a bucket is made at its first packet: the kernel's table of `flows` is all zeros until then). */
  private readonly flows = new Map<number, Flow>();
  /** The flowchain lists: flows leave at the head and join at the tail. */
  private readonly newFlows = new Fifo<Flow>();
  private readonly oldFlows = new Fifo<Flow>();
  private target = 0;
  private interval = 0;
  private ceThreshold = Infinity;
  private queued = 0;
  private bytes = 0;
  private memoryUsage = 0;
  private maxpacket = 0;
  private dropOverlimit = 0;
  private dropOvermemory = 0;
  private newFlowCount = 0;
  private ecnMark = 0;
  private ceMark = 0;
  /** Enqueue time (CoDel units) of the packet takeHead returned last. */
  private lastEnqueuedAt = 0;

  /**
   * An fq_codel on a device whose MTU + hard header (psched_mtu, the CoDel "one MTU" and the
   * default quantum) is `mtu` bytes. `clock()` is the time (ns) of a call made without a
   * context, `hashSeed` the host's flow-hash seed (skb_get_hash of an skb without a hash).
   */
  constructor(
    private readonly mtu: number,
    private readonly clock: () => Ns,
    private readonly hashSeed: number,
    params: Partial<FqCodelParams> = {},
  ) {
    super();
    validateFqCodelParams(params);
    const p = { ...fqCodelDefaults(mtu), ...params };
    this.params = p;
    this.setCodelTimes();
  }

  /** The extended counters (`tc -s qdisc`). */
  xstats(): FqCodelXstats {
    return {
      maxpacket: this.maxpacket,
      dropOverlimit: this.dropOverlimit,
      newFlowCount: this.newFlowCount,
      ecnMark: this.ecnMark,
      dropOvermemory: this.dropOvermemory,
      ceMark: this.ceMark,
      memoryUsage: this.memoryUsage,
      newFlowsLen: this.newFlows.length,
      oldFlowsLen: this.oldFlows.length,
    };
  }

  /**
   * The flows on new_flows or old_flows, by bucket index: fq_codel_walk's classes (a flow stays
   * listed while empty until a dequeue finds it so), each as fq_codel_dump_class_stats reports it
   * at this instant (drop_next against codel_get_time, the qdisc's clock). Reads only.
   */
  flowStats(): FqCodelFlowStats[] {
    const now = this.now(undefined);
    const listed = [...this.flows.values()].filter((f) => f.list !== null).sort((a, b) => a.index - b.index);
    return listed.map((f) => {
      const v = f.cvars;
      const delta = v.dropNext - now;
      // An s32 of ±codel_time_to_us(|delta|).
      const dropNextUs = v.dropping ? (delta >= 0 ? codelTimeToUs(delta) : -codelTimeToUs(-delta)) | 0 : 0;
      return { index: f.index, qlen: f.q.length, backlog: f.backlog, deficit: f.deficit, count: v.count, lastcount: v.lastcount, ldelayUs: codelTimeToUs(v.ldelay), dropping: v.dropping, dropNextUs };
    });
  }

  /**
   * fq_codel_change on this qdisc: the parameters given replace the current ones (EINVAL for
   * `flows`, fixed once the flow table exists, or a bad value: nothing changes then); then,
   * while it holds more than `limit` packets or `memory_limit` bytes, packets are dequeued as
   * fq_codel_dequeue does (CoDel included, Sent counting them) and freed, the qdisc's drops not
   * counting them (qdisc_tree_reduce_backlog counts only a parent's). Returns how many it freed.
   */
  change(params: Partial<FqCodelParams>, ctx?: ExecContext): number {
    if (params.flows !== undefined) throw new NetError('EINVAL', 'fq_codel flows: fixed when the qdisc is created (fq_codel_change refuses it on an existing one)');
    validateFqCodelParams(params);
    this.params = { ...this.params, ...params };
    this.setCodelTimes();
    let freed = 0;
    while (this.qlen > this.params.limit || this.memoryUsage > this.params.memoryLimit) {
      const skb = this.dequeue(ctx);
      if (skb === undefined) break;
      this.stats.packets++;
      this.stats.bytes += skb.len;
      skb.free(ctx);
      freed++;
    }
    return freed;
  }

  /** Bytes queued in flow bucket `index` (q->backlogs[index]). */
  flowBacklog(index: number): number {
    return this.flows.get(index)?.backlog ?? 0;
  }

  /** The flow bucket of `skb` (fq_codel_classify without filters: the flow hash scaled to `flows`). */
  classify(skb: Skb): number {
    return reciprocalScale(skbGetHash(skb, this.hashSeed), this.params.flows);
  }

  /** fq_codel_enqueue: to its flow's tail; over the limits, cut the fattest flow ('cn' when that was this one). */
  enqueue(skb: Skb, ctx?: ExecContext): QdiscEnqueue {
    const idx = this.classify(skb);
    const flow = this.flowAt(idx);
    flow.q.push(skb);
    flow.enqueuedAt.push(this.now(ctx));
    flow.backlog += skb.len;
    this.bytes += skb.len;
    if (flow.list === null) {
      this.newFlows.push(flow);
      flow.list = 'new';
      this.newFlowCount++;
      flow.deficit = this.params.quantum;
      flow.dropped = 0;
    }
    this.memoryUsage += skb.truesize;
    const memoryLimited = this.memoryUsage > this.params.memoryLimit;
    if (++this.queued <= this.params.limit && !memoryLimited) return 'success';
    const before = this.queued;
    const fat = this.dropFattest(ctx);
    const dropped = before - this.queued;
    this.dropOverlimit += dropped;
    if (memoryLimited) this.dropOvermemory += dropped;
    return fat === idx ? 'cn' : 'success';
  }

  protected queuedPackets(): number {
    return this.queued;
  }

  protected queuedBytes(): number {
    return this.bytes;
  }

  /** fq_codel_reset: empty flow lists, every flow's deficit and CoDel state back to their initial values. */
  protected override resetState(): void {
    this.newFlows.drain();
    this.oldFlows.drain();
    for (const f of this.flows.values()) {
      f.list = null;
      f.deficit = 0;
      f.dropped = 0;
      Object.assign(f.cvars, { count: 0, lastcount: 0, dropping: false, recInvSqrt: 0, firstAboveTime: 0, dropNext: 0, ldelay: 0 });
    }
  }

  /** fq_codel_dequeue: DRR over new_flows then old_flows, CoDel on the served flow; `reset` empties flows in order without CoDel (qdisc_reset). */
  protected dequeueNext(ctx: ExecContext | undefined, reset = false): Skb | undefined {
    if (reset) {
      for (const f of this.flows.values()) if (f.q.length > 0) return this.takeHead(f);
      return undefined;
    }
    for (;;) {
      let list = this.newFlows;
      if (list.length === 0) list = this.oldFlows;
      const flow = list.peek();
      if (flow === undefined) return undefined;
      if (flow.deficit <= 0) {
        flow.deficit += this.params.quantum;
        list.shift();
        this.oldFlows.push(flow);
        flow.list = 'old';
        continue;
      }
      const skb = this.codelDequeue(flow, ctx);
      if (skb === undefined) {
        list.shift();
        if (list === this.newFlows && this.oldFlows.length > 0) {
          this.oldFlows.push(flow);
          flow.list = 'old';
        } else {
          flow.list = null;
        }
        continue;
      }
      flow.deficit -= skb.len;
      return skb;
    }
  }

  /** target, interval and ce_threshold in CoDel units, from the parameters. */
  private setCodelTimes(): void {
    const p = this.params;
    this.target = Math.floor(p.targetNs / 1024);
    this.interval = Math.floor(p.intervalNs / 1024);
    this.ceThreshold = p.ceThresholdNs === null ? Infinity : Math.floor(p.ceThresholdNs / 1024);
  }

  /** Flow bucket `index`, made on first use with the kernel's initial state. */
  private flowAt(index: number): Flow {
    let f = this.flows.get(index);
    if (f === undefined) {
      f = { index, q: new Fifo<Skb>(), enqueuedAt: new Fifo<number>(), deficit: 0, dropped: 0, backlog: 0, list: null, cvars: { count: 0, lastcount: 0, dropping: false, recInvSqrt: 0, firstAboveTime: 0, dropNext: 0, ldelay: 0 } };
      this.flows.set(index, f);
    }
    return f;
  }

  private now(ctx: ExecContext | undefined): number {
    return Math.floor((ctx === undefined ? this.clock() : ctx.time) / 2 ** CODEL_SHIFT);
  }

  /** dequeue_func: the flow's head, off the counters; with its enqueue time. */
  private takeHead(flow: Flow): Skb | undefined {
    const skb = flow.q.shift();
    if (skb === undefined) return undefined;
    this.lastEnqueuedAt = flow.enqueuedAt.shift() ?? 0;
    flow.backlog -= skb.len;
    this.bytes -= skb.len;
    this.memoryUsage -= skb.truesize;
    this.queued--;
    return skb;
  }

  /** drop_func: free a packet CoDel dropped (qdisc_qstats_drop). */
  private dropPacket(skb: Skb, ctx: ExecContext | undefined): void {
    this.stats.drops++;
    skb.free(ctx);
  }

  /** codel_should_drop for the packet just taken (sojourn from `lastEnqueuedAt`). */
  private shouldDrop(skb: Skb | undefined, v: CodelVars, now: number): boolean {
    if (skb === undefined) {
      v.firstAboveTime = 0;
      return false;
    }
    v.ldelay = now - this.lastEnqueuedAt;
    if (skb.len > this.maxpacket) this.maxpacket = skb.len;
    if (v.ldelay < this.target || this.backlog <= this.mtu) {
      v.firstAboveTime = 0;
      return false;
    }
    if (v.firstAboveTime === 0) {
      v.firstAboveTime = now + this.interval;
      return false;
    }
    return now > v.firstAboveTime;
  }

  /** codel_dequeue on one flow. */
  private codelDequeue(flow: Flow, ctx: ExecContext | undefined): Skb | undefined {
    const v = flow.cvars;
    let skb = this.takeHead(flow);
    if (skb === undefined) {
      v.dropping = false;
      return undefined;
    }
    const now = this.now(ctx);
    const drop = this.shouldDrop(skb, v, now);
    if (v.dropping) {
      if (!drop) v.dropping = false;
      else {
        while (v.dropping && now >= v.dropNext && skb !== undefined) {
          v.count++;
          newtonStep(v);
          if (this.params.ecn && ecnSetCe(skb)) {
            this.ecnMark++;
            v.dropNext = controlLaw(v.dropNext, this.interval, v.recInvSqrt);
            break;
          }
          this.dropPacket(skb, ctx);
          flow.dropped++;
          skb = this.takeHead(flow);
          if (!this.shouldDrop(skb, v, now)) v.dropping = false;
          else v.dropNext = controlLaw(v.dropNext, this.interval, v.recInvSqrt);
        }
      }
    } else if (drop) {
      if (this.params.ecn && ecnSetCe(skb)) this.ecnMark++;
      else {
        this.dropPacket(skb, ctx);
        flow.dropped++;
        skb = this.takeHead(flow);
        // codel_should_drop for its side effects (first_above_time, ldelay, maxpacket); the kernel ignores the answer here.
        this.shouldDrop(skb, v, now);
      }
      v.dropping = true;
      const delta = v.count - v.lastcount;
      if (delta > 1 && now - v.dropNext < 16 * this.interval) {
        v.count = delta;
        newtonStep(v);
      } else {
        v.count = 1;
        v.recInvSqrt = 0xffffffff >>> REC_INV_SQRT_SHIFT;
      }
      v.lastcount = v.count;
      v.dropNext = controlLaw(now, this.interval, v.recInvSqrt);
    }
    if (skb !== undefined && v.ldelay > this.ceThreshold && ecnSetCe(skb)) this.ceMark++;
    return skb;
  }

  /** fq_codel_drop: cut the flow with the largest backlog by up to half of it (at most drop_batch packets); its index. */
  private dropFattest(ctx: ExecContext | undefined): number {
    let max = 0;
    let idx = 0;
    for (const f of this.flows.values()) {
      // The kernel scans by index and keeps the first largest.
      if (f.backlog > max || (f.backlog === max && max > 0 && f.index < idx)) {
        max = f.backlog;
        idx = f.index;
      }
    }
    const flow = this.flowAt(idx);
    const threshold = Math.floor(max / 2);
    let len = 0;
    let i = 0;
    do {
      const skb = this.takeHead(flow);
      if (skb === undefined) break;
      len += skb.len;
      this.dropPacket(skb, ctx);
    } while (++i < this.params.dropBatch && len < threshold);
    flow.dropped += i;
    return idx;
  }
}
