/**
 * The ARP neighbour table (net/core/neighbour.c with the `arp_tbl` of net/ipv4/arp.c): how
 * IPv4 output finds the Ethernet address of its next hop, and the ARP protocol that fills it.
 *
 * An entry is keyed by device and IPv4 address and moves through the NUD states as the kernel's
 * do: a packet to an unknown address creates it INCOMPLETE, queues the packet (up to
 * `queueLenBytes` of truesize; beyond that the oldest is dropped and counted in
 * `unresolvedDiscards`) and broadcasts a request at once, then every `retransTimeMs`; a reply
 * makes it REACHABLE (`confirmed` now) and sends the queue. After `ucastProbes + mcastProbes`
 * probes without an answer it becomes FAILED: each queued packet is reported to its sender as
 * ICMP host unreachable (`arp_error_report` → `icmp_send(ICMP_DEST_UNREACH, ICMP_HOST_UNREACH)`),
 * which a ping socket shows as `Destination Host Unreachable` and a connecting TCP socket as
 * EHOSTUNREACH. A REACHABLE entry not confirmed (by a TCP ACK of new data, `sk_dst_confirm`,
 * or an ARP reply) for its device's reachable_time turns STALE, unless used within the last
 * `delayProbeTimeMs` (then DELAY); a packet through a STALE entry makes it DELAY; a DELAY entry
 * still unconfirmed after `delayProbeTimeMs` goes to PROBE and sends `ucastProbes` unicast
 * requests, one per `retransTimeMs`, before FAILED. A received request for one of our addresses
 * creates or refreshes the sender's entry (STALE, or unchanged while valid with the same
 * address) and is answered; a reply updates an existing entry only (REACHABLE when sent to us,
 * else STALE). Timers are jiffies timers (`neigh->timer`) running in the timer softirq.
 *
 * Parameters are per device (`struct neigh_parms`: net.ipv4.neigh.DEV.*), copied from the
 * table's defaults (net.ipv4.neigh.default.*) when the device registers; its reachable_time is
 * drawn from [base/2, 3·base/2) then and whenever its base_reachable_time changes
 * (`neigh_rand_reach_time`). Carrier loss forgets the device's entries but permanent ones
 * (`neigh_carrier_down`, unless net.ipv4.conf.{all,DEV}.arp_evict_nocarrier is off), `ip link
 * set … down` all of them (`neigh_ifdown`), dropping what they had queued. `replace` sets an
 * entry by hand (`ip neigh replace … nud permanent`). Simplified: no garbage collection of old
 * entries (a table here holds a handful), no proxy ARP, no gratuitous ARP, arp_ignore and
 * arp_announce at their defaults (0), and no periodic re-draw of reachable_time.
 */
import type { ExecContext, Rng, Timer } from '@ntbsim/kernel';
import { NetError } from './errors.js';
import { arpSkb } from './frame.js';
import { ARPOP, ETH_ALEN, ETH_HLEN, formatIpv4, type Ipv4Addr } from './inet.js';
import type { NetDevice } from './netDevice.js';
import type { NetStack } from './netStack.js';
import type { ArpHeader, Skb } from './skb.js';
import type { NetXmit } from './types.js';
import { devQueueXmit } from './dev.js';

/** A neighbour entry's state (NUD_*, include/uapi/linux/neighbour.h), as `ip neigh` names it. */
export type NudState = 'NONE' | 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'FAILED' | 'NOARP' | 'PERMANENT';

/** The table's parameters (`struct neigh_parms`, net.ipv4.neigh.default.*): times in ms, sizes in bytes. */
export interface NeighParms {
  /** base_reachable_time_ms: mean time an entry stays REACHABLE after a confirmation (ms). Default 30000. */
  readonly baseReachableTimeMs: number;
  /** retrans_time_ms: time between probes (ms). Default 1000. */
  readonly retransTimeMs: number;
  /** delay_first_probe_time: how long a used STALE entry waits in DELAY before probing (ms). Default 5000. */
  readonly delayProbeTimeMs: number;
  /** unres_qlen_bytes: truesize of packets queued on an unresolved entry (bytes). Default 212992 (SK_WMEM_MAX). */
  readonly queueLenBytes: number;
  /** ucast_solicit: unicast probes in PROBE (and the first probes' offset in INCOMPLETE). Default 3. */
  readonly ucastProbes: number;
  /** mcast_solicit: broadcast probes of an INCOMPLETE entry. Default 3. */
  readonly mcastProbes: number;
  /** locktime: an entry updated more recently than this is not overridden by a reply (ms). Default 1000. */
  readonly locktimeMs: number;
}

/** arp_tbl's defaults (net/ipv4/arp.c). */
export const ARP_PARMS: Readonly<NeighParms> = Object.freeze({
  baseReachableTimeMs: 30_000,
  retransTimeMs: 1000,
  delayProbeTimeMs: 5000,
  queueLenBytes: 212_992,
  ucastProbes: 3,
  mcastProbes: 3,
  locktimeMs: 1000,
});

/** One entry as `ip neigh show` lists it. */
export interface NeighEntry {
  /** The neighbour's IPv4 address (dotted quad). */
  readonly addr: string;
  /** The device. */
  readonly dev: string;
  /** Its Ethernet address (`aa:bb:cc:dd:ee:ff`), null while unresolved. */
  readonly lladdr: string | null;
  /** The address field as /proc/net/arp prints it whatever the state: the last one known, zeros if none. */
  readonly hwaddr: string;
  /** Its state. */
  readonly state: NudState;
  /** Probes sent in the current resolution (neigh->probes). */
  readonly probes: number;
}

/** /proc/net/stat/arp_cache counters of the table. */
export interface NeighStats {
  /** Entries created (allocs). */
  allocs: number;
  /** Resolutions that failed (res_failed). */
  resFailed: number;
  /** Packets dropped from a full unresolved queue (unresolved_discards). */
  unresolvedDiscards: number;
}

/**
 * Why the table dropped a packet that waited on an entry (the kernel's SKB_DROP_REASON_NEIGH_*,
 * what the `skb:kfree_skb` tracepoint reports): QUEUEFULL past unres_qlen_bytes (counted in
 * unresolved_discards), FAILED when resolution gave up (after its host-unreachable report),
 * DEAD when the entry was flushed (carrier loss, device down). Only QUEUEFULL has a counter.
 */
export type NeighDropReason = 'NEIGH_QUEUEFULL' | 'NEIGH_FAILED' | 'NEIGH_DEAD';

/** NUD_IN_TIMER: states that run the entry's timer. */
const IN_TIMER: ReadonlySet<NudState> = new Set(['INCOMPLETE', 'REACHABLE', 'DELAY', 'PROBE']);
/** NUD_VALID: states with a usable address. */
const VALID: ReadonlySet<NudState> = new Set(['PERMANENT', 'NOARP', 'REACHABLE', 'PROBE', 'STALE', 'DELAY']);
/** NUD_CONNECTED: valid without any check. */
const CONNECTED: ReadonlySet<NudState> = new Set(['PERMANENT', 'NOARP', 'REACHABLE']);

const BROADCAST_MAC = new Uint8Array(ETH_ALEN).fill(0xff);
const ZERO_MAC = new Uint8Array(ETH_ALEN);

/** `aa:bb:cc:dd:ee:ff` of an Ethernet address. */
export function formatMac(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < ETH_ALEN; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Writable parameters. */
type Parms = { -readonly [K in keyof NeighParms]: NeighParms[K] };

/** The ARP settings of one device (its `struct neigh_parms` and `arp_evict_nocarrier`). */
interface DevParms {
  readonly p: Parms;
  /** The parameters set for this device itself (neigh_parms data_state): a new default no longer reaches them. */
  readonly own: Set<keyof NeighParms>;
  /** reachable_time (jiffies), drawn from its base_reachable_time. */
  reachableTime: number;
  /** net.ipv4.conf.DEV.arp_evict_nocarrier. */
  evictNocarrier: boolean;
}

/** A neighbour entry (`struct neighbour`); times in jiffies. */
class Neighbour {
  state: NudState = 'NONE';
  ha: Uint8Array | null = null;
  probes = 0;
  confirmed: number;
  updated: number;
  used: number;
  readonly queue: Skb[] = [];
  queueBytes = 0;
  readonly timer: Timer;

  constructor(
    readonly table: NeighTable,
    readonly dev: NetDevice,
    readonly key: Ipv4Addr,
    readonly parms: DevParms,
  ) {
    const host = table.stack.host;
    const now = host.jiffies;
    // neigh_alloc: confirmed in the past, so a new entry is not taken as recently confirmed.
    this.confirmed = now - host.msecsToJiffies(parms.p.baseReachableTimeMs) * 2;
    this.updated = now;
    this.used = now;
    this.timer = host.createTimer(`neigh:${dev.name}:${formatIpv4(key)}`, (ctx) => table.timerHandler(this, ctx));
  }
}

/** The ARP table of one stack (arp_tbl). */
export class NeighTable {
  private readonly defaultParms: Parms;
  /** /proc/net/stat/arp_cache counters. */
  readonly stats: NeighStats = { allocs: 0, resFailed: 0, unresolvedDiscards: 0 };
  /** net.ipv4.conf.{all,default}.arp_evict_nocarrier: eviction on carrier loss needs `all` and the device's both on. */
  readonly evictNocarrier = { all: true, default: true };
  private readonly byDev = new Map<NetDevice, Map<Ipv4Addr, Neighbour>>();
  private readonly devParms = new Map<NetDevice, DevParms>();
  private readonly dropTaps: ((skb: Skb, reason: NeighDropReason) => void)[] = [];
  /** The table's own generator (reachable_time draws), forked from the stack's. */
  private readonly rng: Rng;

  /** The table of `stack` (made by the stack). */
  constructor(
    readonly stack: NetStack,
    parms: NeighParms = ARP_PARMS,
  ) {
    this.defaultParms = { ...parms };
    this.rng = stack.rng.fork();
  }

  /** net.ipv4.neigh.default.*: what a device registered from now on starts with (`setParm('default', …)` changes them). */
  get defaults(): Readonly<NeighParms> {
    return this.defaultParms;
  }

  /**
   * @internal A device registered (neigh_parms_alloc at inetdev creation): it takes the current
   * defaults and draws its reachable_time.
   */
  addDevice(dev: NetDevice): DevParms {
    const p = { ...this.defaultParms };
    const d: DevParms = { p, own: new Set(), reachableTime: this.randReachTime(p), evictNocarrier: this.evictNocarrier.default };
    this.devParms.set(dev, d);
    return d;
  }

  /** neigh_rand_reach_time: uniform in [base/2, 3·base/2) jiffies. */
  private randReachTime(p: NeighParms): number {
    const base = this.jiffies(p.baseReachableTimeMs);
    return base === 0 ? 0 : Math.floor(base / 2) + this.rng.int(base);
  }

  private parmsFor(dev: NetDevice): DevParms {
    return this.devParms.get(dev) ?? this.addDevice(dev);
  }

  /** The ARP parameters of `dev` (net.ipv4.neigh.DEV.*). */
  parmsOf(dev: NetDevice): Readonly<NeighParms> {
    return this.parmsFor(dev).p;
  }

  /** reachable_time of `dev` (jiffies): how long a confirmation keeps an entry REACHABLE. */
  reachableTimeOf(dev: NetDevice): number {
    return this.parmsFor(dev).reachableTime;
  }

  /**
   * Set parameter `key` of `dev`, or of the defaults, to `value`: a non-negative integer (ms,
   * bytes or probes), EINVAL otherwise. A new default reaches every device that has not set
   * that parameter itself (neigh_copy_dflt_parms); a new base_reachable_time draws the device's
   * reachable_time again, as its sysctl handler does.
   */
  setParm(scope: NetDevice | 'default', key: keyof NeighParms, value: number): void {
    if (!Object.hasOwn(ARP_PARMS, key)) throw new NetError('EINVAL', `neigh parameter ${String(key)}: unknown; allowed ${Object.keys(ARP_PARMS).join(', ')}`);
    if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw new NetError('EINVAL', `neigh ${String(key)} ${value}: allowed an integer in 0..2147483647`);
    if (scope === 'default') {
      this.defaultParms[key] = value;
      // neigh_copy_dflt_parms: every device that has not set it itself follows the default.
      for (const d of this.devParms.values()) if (!d.own.has(key)) this.assign(d, key, value);
      return;
    }
    const d = this.parmsFor(scope);
    d.own.add(key);
    this.assign(d, key, value);
  }

  private assign(d: DevParms, key: keyof NeighParms, value: number): void {
    d.p[key] = value;
    if (key === 'baseReachableTimeMs') d.reachableTime = this.randReachTime(d.p);
  }

  /** arp_evict_nocarrier of `scope`: 'all', 'default' (what a new device starts with) or a device. */
  evictNocarrierOf(scope: NetDevice | 'all' | 'default'): boolean {
    return scope === 'all' || scope === 'default' ? this.evictNocarrier[scope] : this.parmsFor(scope).evictNocarrier;
  }

  /** Set arp_evict_nocarrier of `scope`. */
  setEvictNocarrier(scope: NetDevice | 'all' | 'default', on: boolean): void {
    if (scope === 'all' || scope === 'default') this.evictNocarrier[scope] = on;
    else this.parmsFor(scope).evictNocarrier = on;
  }

  /**
   * @internal arp_netdev_event NETDEV_CHANGE without carrier: when arp_evict_nocarrier is on for
   * `all` and for `dev` (IN_DEV_ANDCONF), neigh_carrier_down forgets the device's entries but
   * permanent ones.
   */
  carrierDown(dev: NetDevice): void {
    if (this.evictNocarrier.all && this.parmsFor(dev).evictNocarrier) this.flushDev(dev, true);
  }

  private jiffies(ms: number): number {
    return this.stack.host.msecsToJiffies(ms);
  }

  /** retrans_time of `n`'s device, at least HZ/100 (the floor the timer handler applies). */
  private retrans(n: Neighbour): number {
    return Math.max(this.jiffies(n.parms.p.retransTimeMs), this.jiffies(10));
  }

  private lookup(dev: NetDevice, key: Ipv4Addr): Neighbour | undefined {
    return this.byDev.get(dev)?.get(key);
  }

  private create(dev: NetDevice, key: Ipv4Addr): Neighbour {
    let m = this.byDev.get(dev);
    if (m === undefined) {
      m = new Map();
      this.byDev.set(dev, m);
    }
    let n = m.get(key);
    if (n === undefined) {
      n = new Neighbour(this, dev, key, this.parmsFor(dev));
      m.set(key, n);
      this.stats.allocs++;
    }
    return n;
  }

  /**
   * Add a tap that sees every packet the table drops, with the reason, before it is freed (the
   * `skb:kfree_skb` tracepoint filtered on SKB_DROP_REASON_NEIGH_*); the tap must not change
   * the skb. Returns the function that removes it.
   */
  addDropTap(tap: (skb: Skb, reason: NeighDropReason) => void): () => void {
    this.dropTaps.push(tap);
    return () => {
      const i = this.dropTaps.indexOf(tap);
      if (i >= 0) this.dropTaps.splice(i, 1);
    };
  }

  private drop(skb: Skb, reason: NeighDropReason, on: ExecContext | undefined): void {
    for (const tap of this.dropTaps) tap(skb, reason);
    skb.free(on ?? this.stack.host.cpu(0));
  }

  /** The entries, per device in creation order (`ip neigh show`). */
  entries(dev?: NetDevice): NeighEntry[] {
    const out: NeighEntry[] = [];
    for (const [d, m] of this.byDev) {
      if (dev !== undefined && d !== dev) continue;
      for (const n of m.values()) {
        if (n.state === 'NONE') continue;
        out.push({ addr: formatIpv4(n.key), dev: d.name, lladdr: n.ha !== null && VALID.has(n.state) ? formatMac(n.ha) : null, hwaddr: formatMac(n.ha ?? ZERO_MAC), state: n.state, probes: n.probes });
      }
    }
    return out;
  }

  /**
   * neigh_output / neigh_resolve_output for an IPv4 packet to next hop `nexthop` on `dev`: with
   * a valid entry the Ethernet header is filled and the packet goes to `dev_queue_xmit` (its
   * result returned); otherwise it waits on the entry ('success', as the kernel returns 0 for a
   * queued packet) while ARP resolves it. A new entry is made as arp_constructor makes it: a
   * broadcast next hop, or any next hop of a loopback device, needs no resolution — NOARP, with
   * ff:ff:ff:ff:ff:ff (arp_mc_map) or the device's own address (what `ip neigh show nud noarp`
   * lists; /proc/net/arp skips them).
   */
  output(skb: Skb, dev: NetDevice, nexthop: Ipv4Addr, ctx: ExecContext): NetXmit {
    let n = this.lookup(dev, nexthop);
    if (n === undefined) {
      n = this.create(dev, nexthop);
      if (dev.loopback || this.stack.isBroadcast(nexthop)) {
        n.state = 'NOARP';
        n.ha = Uint8Array.from(dev.loopback ? dev.devAddr : BROADCAST_MAC);
        n.confirmed = this.stack.host.jiffies;
      }
    }
    if (!CONNECTED.has(n.state)) {
      // neigh_resolve_output: only the slow path marks the entry used (the cached header does not).
      n.used = this.stack.host.jiffies;
      if (n.state !== 'DELAY' && n.state !== 'PROBE' && this.eventSend(n, skb, ctx)) return 'success';
    }
    skb.ethDst = n.ha;
    return devQueueXmit(skb, ctx);
  }

  /**
   * __neigh_event_send: start resolving (→ INCOMPLETE, first probe at once) unless already
   * INCOMPLETE or STALE; a STALE entry goes to DELAY. True when `skb` was queued on the entry.
   */
  private eventSend(n: Neighbour, skb: Skb, ctx: ExecContext): boolean {
    const host = this.stack.host;
    let probeNow = false;
    if (n.state !== 'STALE' && n.state !== 'INCOMPLETE' && n.parms.p.mcastProbes === 0) {
      // No broadcast probe allowed (mcast_solicit 0, app_solicit 0): FAILED at once, the packet dropped without a report.
      n.timer.del();
      n.state = 'FAILED';
      n.updated = host.jiffies;
      this.drop(skb, 'NEIGH_FAILED', ctx);
      return true;
    }
    if (n.state !== 'STALE' && n.state !== 'INCOMPLETE') {
      n.probes = n.parms.p.ucastProbes;
      n.state = 'INCOMPLETE';
      n.updated = host.jiffies;
      this.addTimer(n, host.jiffies + this.retrans(n), ctx);
      probeNow = true;
    } else if (n.state === 'STALE') {
      n.state = 'DELAY';
      n.updated = host.jiffies;
      this.addTimer(n, host.jiffies + this.jiffies(n.parms.p.delayProbeTimeMs), ctx);
    }
    let queued = false;
    if (n.state === 'INCOMPLETE') {
      while (n.queue.length > 0 && n.queueBytes + skb.truesize > n.parms.p.queueLenBytes) {
        const old = n.queue.shift() as Skb;
        n.queueBytes -= old.truesize;
        this.stats.unresolvedDiscards++;
        this.drop(old, 'NEIGH_QUEUEFULL', ctx);
      }
      n.queue.push(skb);
      n.queueBytes += skb.truesize;
      queued = true;
    }
    if (probeNow) this.probe(n, ctx);
    return queued;
  }

  /** neigh_add_timer: arm the entry's timer for jiffy `at`; `used` is taken up to `confirmed`. */
  private addTimer(n: Neighbour, at: number, ctx: ExecContext): void {
    if (n.used < n.confirmed) n.used = n.confirmed;
    n.timer.mod(at, ctx);
  }

  /** neigh_probe: solicit, then count the probe. */
  private probe(n: Neighbour, ctx: ExecContext): void {
    this.solicit(n, ctx);
    n.probes++;
  }

  /**
   * arp_solicit: a request for `n`'s address, unicast to its known address while fewer than
   * `ucastProbes` probes were sent (PROBE), else broadcast; the sender address is the source of
   * the packet waiting on the entry when it is ours (arp_announce 0), else the one
   * inet_select_addr picks (`NetStack.selectAddr`), else 0.0.0.0.
   */
  private solicit(n: Neighbour, ctx: ExecContext): void {
    const waiting = n.queue[n.queue.length - 1];
    const stack = this.stack;
    const saddr = waiting !== undefined && stack.isLocalAddr(waiting.ip.src) ? waiting.ip.src : (stack.selectAddr(n.dev, n.key) ?? 0);
    const unicast = n.probes < n.parms.p.ucastProbes && n.ha !== null;
    this.send(ARPOP.REQUEST, n.dev, { tpa: n.key, spa: saddr, tha: ZERO_MAC, ethDst: unicast ? (n.ha as Uint8Array) : BROADCAST_MAC }, ctx);
  }

  /** arp_send: build an ARP packet from `dev` and queue it for transmit (the per-packet transmit cost charged here). */
  private send(op: number, dev: NetDevice, a: { readonly tpa: Ipv4Addr; readonly spa: Ipv4Addr; readonly tha: Uint8Array; readonly ethDst: Uint8Array }, ctx: ExecContext): void {
    const costs = ctx.host.costs;
    ctx.charge(costs.skbAlloc() + costs.txPacket());
    const skb = arpSkb({ op, sha: dev.devAddr, spa: a.spa, tha: a.tha, tpa: a.tpa }, ETH_HLEN);
    skb.dev = dev;
    skb.ethSrc = dev.devAddr;
    skb.ethDst = a.ethDst;
    devQueueXmit(skb, ctx);
  }

  /** @internal neigh_timer_handler. */
  timerHandler(n: Neighbour, ctx: ExecContext): void {
    const host = this.stack.host;
    const now = host.jiffies;
    const delay = this.jiffies(n.parms.p.delayProbeTimeMs);
    let next = now + this.jiffies(1000);
    if (!IN_TIMER.has(n.state)) return;
    if (n.state === 'REACHABLE') {
      if (now <= n.confirmed + n.parms.reachableTime) next = n.confirmed + n.parms.reachableTime;
      else if (now <= n.used + delay) {
        n.state = 'DELAY';
        n.updated = now;
        next = now + delay;
      } else {
        n.state = 'STALE';
        n.updated = now;
      }
    } else if (n.state === 'DELAY') {
      if (now <= n.confirmed + delay) {
        n.state = 'REACHABLE';
        n.updated = now;
        next = n.confirmed + n.parms.reachableTime;
      } else {
        n.state = 'PROBE';
        n.updated = now;
        n.probes = 0;
        next = now + this.retrans(n);
      }
    } else {
      next = now + this.retrans(n);
    }
    if ((n.state === 'INCOMPLETE' || n.state === 'PROBE') && n.probes >= this.maxProbes(n)) {
      n.state = 'FAILED';
      n.updated = now;
      this.stats.resFailed++;
      this.invalidate(n, ctx);
      return;
    }
    if (IN_TIMER.has(n.state)) n.timer.mod(Math.max(next, now + this.jiffies(10)), ctx);
    if (n.state === 'INCOMPLETE' || n.state === 'PROBE') this.probe(n, ctx);
  }

  /** neigh_max_probes: ucast + mcast probes while INCOMPLETE, ucast only in PROBE (mcast_reprobes 0). */
  private maxProbes(n: Neighbour): number {
    return n.parms.p.ucastProbes + (n.state === 'PROBE' ? 0 : n.parms.p.mcastProbes);
  }

  /** neigh_invalidate: report each queued packet to its sender as host unreachable, then drop it. */
  private invalidate(n: Neighbour, ctx: ExecContext): void {
    while (n.state === 'FAILED' && n.queue.length > 0) {
      const skb = n.queue.shift() as Skb;
      n.queueBytes -= skb.truesize;
      this.stack.icmpHostUnreachLocal(skb, ctx);
      this.drop(skb, 'NEIGH_FAILED', ctx);
    }
    this.purge(n, 'NEIGH_FAILED', ctx);
  }

  private purge(n: Neighbour, reason: NeighDropReason, on?: ExecContext): void {
    for (const skb of n.queue.splice(0)) this.drop(skb, reason, on);
    n.queueBytes = 0;
  }

  /**
   * neigh_update: a new address and/or state from ARP (NOARP and PERMANENT entries take none:
   * only `ip neigh` changes them). A changed address of a valid entry
   * replaces the old one only with `override` (else nothing changes); STALE for the same address
   * leaves a valid entry as it is; a state that becomes valid sends what waited on the entry.
   */
  private update(n: Neighbour, u: { readonly lladdr: Uint8Array; readonly state: NudState; readonly override: boolean }, ctx: ExecContext): void {
    const host = this.stack.host;
    const old = n.state;
    // Not an admin update (NEIGH_UPDATE_F_ADMIN): a NOARP or PERMANENT entry stays as it is.
    if (old === 'NOARP' || old === 'PERMANENT') return;
    const oldValid = VALID.has(old);
    let next = u.state;
    // The receipt of an ARP packet that asserts reachability confirms the entry even when nothing else changes.
    if (CONNECTED.has(next)) n.confirmed = host.jiffies;
    if (oldValid && n.ha !== null) {
      if (!sameMac(n.ha, u.lladdr)) {
        if (!u.override) return;
      } else if (next === 'STALE') {
        next = old;
      }
    }
    const addr = u.lladdr;
    if (next !== old) {
      n.timer.del();
      if (next === 'PROBE') n.probes = 0;
      if (IN_TIMER.has(next)) this.addTimer(n, host.jiffies + (next === 'REACHABLE' ? n.parms.reachableTime : 0), ctx);
      n.state = next;
      n.updated = host.jiffies;
    }
    if (n.ha === null || !sameMac(n.ha, addr)) {
      n.ha = Uint8Array.from(addr);
      n.updated = host.jiffies;
      // A new address not asserted reachable: the old confirmation does not vouch for it.
      if (!CONNECTED.has(next)) n.confirmed = host.jiffies - this.jiffies(n.parms.p.baseReachableTimeMs) * 2;
    }
    if (next === old || oldValid) return;
    this.sendQueue(n, ctx);
  }

  /**
   * neigh_confirm: the path to `addr` on `dev` was just shown to work (a TCP ACK that advanced,
   * `dst_confirm_neigh`): `confirmed` is now.
   */
  confirm(dev: NetDevice, addr: Ipv4Addr): void {
    const n = this.lookup(dev, addr);
    if (n !== undefined) n.confirmed = this.stack.host.jiffies;
  }

  /**
   * arp_rcv + arp_process for an ARP packet received on `skb.dev`: a request for any address of
   * this host (arp_ignore 0: the RTN_LOCAL route, whatever device holds it) creates or refreshes
   * the sender's entry and is answered; a duplicate-address probe (sender 0.0.0.0) for one is
   * answered and teaches nothing; any other packet updates an existing entry of its sender. The
   * per-packet receive cost is charged here.
   */
  rcv(skb: Skb, ctx: ExecContext): void {
    const arp = skb.l4 as ArpHeader;
    const dev = skb.dev;
    ctx.charge(ctx.host.costs.rxPacket());
    const stack = this.stack;
    if (dev === null || skb.pktType === 'otherhost' || arp.spa >>> 28 === 0xe || arp.spa >>> 24 === 127 || arp.tpa >>> 28 === 0xe || arp.tpa >>> 24 === 127) {
      skb.free(ctx);
      return;
    }
    if (arp.op === ARPOP.REQUEST && arp.spa === 0) {
      // A duplicate-address probe (sender 0.0.0.0, arping -D): answered for a local address, nothing learnt.
      if (stack.isLocalAddr(arp.tpa)) this.send(ARPOP.REPLY, dev, { tpa: 0, spa: arp.tpa, tha: arp.sha, ethDst: arp.sha }, ctx);
      skb.free(ctx);
      return;
    }
    if (arp.op === ARPOP.REQUEST && stack.isLocalAddr(arp.tpa)) {
      const n = this.create(dev, arp.spa);
      this.update(n, { lladdr: arp.sha, state: 'STALE', override: true }, ctx);
      this.send(ARPOP.REPLY, dev, { tpa: arp.spa, spa: arp.tpa, tha: arp.sha, ethDst: arp.sha }, ctx);
      skb.free(ctx);
      return;
    }
    const n = arp.spa === 0 ? undefined : this.lookup(dev, arp.spa);
    if (n !== undefined) {
      const override = stack.host.jiffies > n.updated + this.jiffies(n.parms.p.locktimeMs);
      this.update(n, { lladdr: arp.sha, state: arp.op === ARPOP.REPLY && skb.pktType === 'host' ? 'REACHABLE' : 'STALE', override }, ctx);
    }
    skb.free(ctx);
  }

  /**
   * `ip neigh replace ADDR lladdr MAC dev DEV nud STATE` (neigh_add with NLM_F_REPLACE, an admin
   * update): set the entry of `addr` on `dev` to `lladdr` (null: the address it knows) in
   * `state` (PERMANENT, NOARP, REACHABLE or STALE), sending whatever waited on it. EINVAL for
   * another state, an address that is not 6 bytes, or none given for an entry without one.
   */
  replace(dev: NetDevice, addr: Ipv4Addr, entry: { readonly lladdr: Uint8Array | null; readonly state: NudState }, ctx?: ExecContext): void {
    const { state } = entry;
    if (state !== 'PERMANENT' && state !== 'NOARP' && state !== 'REACHABLE' && state !== 'STALE') {
      throw new NetError('EINVAL', `neigh ${formatIpv4(addr)} nud ${state}: allowed PERMANENT, NOARP, REACHABLE or STALE`);
    }
    const known = this.lookup(dev, addr);
    const lladdr = entry.lladdr ?? (known !== undefined && VALID.has(known.state) ? known.ha : null);
    if (lladdr === null) throw new NetError('EINVAL', `neigh ${formatIpv4(addr)}: No link layer address given`);
    if (lladdr.length !== ETH_ALEN) throw new NetError('EINVAL', `neigh ${formatIpv4(addr)} lladdr of ${lladdr.length} bytes: allowed ${ETH_ALEN} bytes`);
    const on = ctx ?? this.stack.host.syscallContext();
    const n = this.create(dev, addr);
    const old = n.state;
    n.timer.del();
    n.state = state;
    n.ha = Uint8Array.from(lladdr);
    n.updated = this.stack.host.jiffies;
    if (CONNECTED.has(state)) n.confirmed = n.updated;
    if (state === 'REACHABLE') this.addTimer(n, n.updated + n.parms.reachableTime, on);
    if (!VALID.has(old)) this.sendQueue(n, on);
  }

  /**
   * `ip neigh del ADDR dev DEV` (neigh_delete): the entry becomes FAILED — a resolving one
   * (INCOMPLETE, PROBE) counts in res_failed and reports what waited on it to its senders as
   * host unreachable — and is removed; false if there was none.
   */
  remove(dev: NetDevice, addr: Ipv4Addr, ctx?: ExecContext): boolean {
    const m = this.byDev.get(dev);
    const n = m?.get(addr);
    if (m === undefined || n === undefined || n.state === 'NONE') return false;
    n.timer.del();
    const resolving = n.state === 'INCOMPLETE' || n.state === 'PROBE';
    n.state = 'FAILED';
    if (resolving) {
      this.stats.resFailed++;
      this.invalidate(n, ctx ?? this.stack.host.syscallContext());
    } else this.purge(n, 'NEIGH_FAILED', ctx);
    m.delete(addr);
    return true;
  }

  /** Send what waited on `n` now that it has an address (neigh_update's arp_queue loop, each through `n->output`). */
  private sendQueue(n: Neighbour, ctx: ExecContext): void {
    while (n.queue.length > 0 && VALID.has(n.state)) {
      const skb = n.queue.shift() as Skb;
      n.queueBytes -= skb.truesize;
      // n->output: through the resolve path, so a STALE entry goes to DELAY as for any packet.
      this.output(skb, n.dev, n.key, ctx);
    }
  }

  /**
   * neigh_ifdown (`keepPermanent` false: the device went down) / neigh_carrier_down
   * (`keepPermanent` true: it lost its carrier): forget the entries of `dev`, dropping the
   * packets they held.
   */
  flushDev(dev: NetDevice, keepPermanent: boolean): void {
    const m = this.byDev.get(dev);
    if (m === undefined) return;
    for (const [key, n] of m) {
      if (keepPermanent && n.state === 'PERMANENT') continue;
      n.timer.del();
      this.purge(n, 'NEIGH_DEAD');
      m.delete(key);
    }
  }
}
