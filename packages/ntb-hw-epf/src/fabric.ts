/**
 * The PCIe fabric between the RC host and the EP host: two independent directions
 * (`rc-to-ep`, `ep-to-rc`), each a FIFO link that serialises posted writes at the link's
 * payload rate and delivers them `latencyNs` after their last byte left.
 *
 * Timing of a posted write of `len` bytes issued at `t` (the issuing step's `ctx.time`):
 * it enters the link at `t` (an event at `t`, so writes from different CPUs enter in
 * issue-time order), starts serialising at `max(t, busyUntil)`, occupies the link for
 * `ceil(len / rate)` ns, and lands at `start + duration + latency`: its bytes are copied into
 * the target `Uint8Array` at that virtual time. Landing order equals entry order (PCIe posted
 * ordering: a posted write never passes another on the same direction).
 *
 * A non-posted read issued at `t` is ordered behind every posted write issued before it on
 * the same direction: it waits `max(0, busyUntil' − t)` (busyUntil' includes writes already
 * issued by the running step) and then takes the requester's MMIO round trip; its value is
 * the target memory with all those earlier writes applied.
 *
 * Link loss drops every write in flight and every later one; reads then return all-ones after
 * the completion timeout.
 */
import type { Ns, Simulation } from '@ntbsim/kernel';
import { CpuWriteQueue } from './flowControl.js';
import type { MemRegion } from './memory.js';
import type { FabricDirection, LandEvent, LinkStats, PcieFabric, TlpKind } from './types.js';

/** The directions. */
export const FABRIC_DIRECTIONS: readonly FabricDirection[] = ['rc-to-ep', 'ep-to-rc'];

/** Resolves a wire address to memory at the receiving side. */
export interface BusTarget {
  /** The region and byte offset holding [addr, addr + len), or null (unmapped). */
  resolve(addr: number, len: number): { readonly region: MemRegion; readonly offset: number } | null;
}

/** A posted write handed to the fabric. */
export interface PostedWrite {
  /** Direction. */
  readonly dir: FabricDirection;
  /** Kind (statistics, faults). */
  readonly kind: TlpKind;
  /** Bus address on the wire (rc-to-ep: an EP BAR address; ep-to-rc: an RC bus address). */
  readonly addr: number;
  /** Payload length (bytes). */
  readonly len: number;
  /** Payload: its first `data.length` (≤ len) bytes are real, the rest elided; null elides all (only the timing travels). Copied by the fabric. */
  readonly data: Uint8Array | null;
  /** Issue time (ns), ≥ now. */
  readonly issue: Ns;
  /** Link occupancy override (ns), e.g. a DMA engine slower than the link. */
  readonly duration?: Ns;
  /** True when the caller hands `data` over (already a private copy), so the fabric need not copy it. */
  readonly owned?: boolean;
}

/** @internal A TLP in the fabric. */
export interface Tlp {
  readonly dir: FabricDirection;
  readonly kind: TlpKind;
  readonly addr: number;
  readonly len: number;
  readonly data: Uint8Array | null;
  readonly issue: Ns;
  readonly duration: Ns;
  readonly seq: number;
  /** The fabric carrying it. */
  readonly owner: Fabric;
  /** Time its last byte left the sender (set when it enters the link). */
  departEnd: Ns;
  /** Landing time (set when it enters the link). */
  arrival: Ns;
  /** Lost (link down). */
  dropped: boolean;
}

/** Result of a non-posted read. */
export interface ReadResult {
  /** Value read (all-ones when the link is down or nothing decodes the address). */
  readonly value: number;
  /** Extra time the requester stalls beyond its MMIO round trip (ns): queueing, or the completion timeout. */
  readonly waitNs: Ns;
  /** False when the read failed (link down): `waitNs` is then the completion timeout and replaces the round trip. */
  readonly ok: boolean;
}

class Lane {
  busyUntil: Ns = 0;
  readonly inflight: Tlp[] = [];
  readonly pending: Tlp[] = [];
  readonly stats: LinkStats = { tlps: 0, bytes: 0, landed: 0, unmapped: 0, droppedLinkDown: 0, droppedFault: 0, reads: 0, readWaitNs: 0, cpuStallNs: 0 };
  constructor(
    readonly dir: FabricDirection,
    readonly target: BusTarget,
    readonly cpu: CpuWriteQueue,
  ) {}
}

/** Options of the fabric. */
export interface FabricOptions {
  /** Payload rate of each direction (B/s). */
  readonly bytesPerSec: number;
  /** One-way TLP latency (ns). */
  readonly latencyNs: Ns;
  /** Completion timeout of a read on a dead link (ns). */
  readonly completionTimeoutNs: Ns;
  /** Decoder of rc-to-ep writes (the EP's BARs). */
  readonly epTarget: BusTarget;
  /** Decoder of ep-to-rc writes (RC memory and MSI receiver). */
  readonly rcTarget: BusTarget;
  /** Posted writes a CPU may have queued ahead of the link before its stores stall (bytes; flowControl.ts). */
  readonly postedBufferBytes: number;
}

const NO_TLPS: readonly Tlp[] = [];

/** The pending writes issued at or before `issue`, in (issue, seq) order (no copy when all are, already in order). */
function earlierPending(pending: readonly Tlp[], issue: Ns): readonly Tlp[] {
  let sorted = true;
  let all = true;
  for (let i = 0; i < pending.length; i++) {
    const p = pending[i] as Tlp;
    if (p.issue > issue) all = false;
    const prev = pending[i - 1];
    if (prev !== undefined && (prev.issue > p.issue || (prev.issue === p.issue && prev.seq > p.seq))) sorted = false;
  }
  if (all && sorted) return pending;
  return pending.filter((p) => p.issue <= issue).sort((a, b) => a.issue - b.issue || a.seq - b.seq);
}

/** Event trampolines for TLPs, shared by every fabric. */
function tlpIssue(t: unknown): void {
  (t as Tlp).owner.issue(t as Tlp);
}
function tlpLand(t: unknown): void {
  (t as Tlp).owner.land(t as Tlp);
}

/** The link between the two hosts (PCIe Gen4 x2 on R-Car S4). */
export class Fabric implements PcieFabric {
  /** Payload rate per direction (B/s). */
  readonly bytesPerSec: number;
  /** One-way latency (ns). */
  readonly latencyNs: Ns;
  /** Completion timeout for reads on a dead link (ns). */
  readonly completionTimeoutNs: Ns;
  private up = true;
  private seq = 0;
  private readonly lanes: Record<FabricDirection, Lane>;
  private readonly dropNext: Record<TlpKind, number> = { mmio: 0, wc: 0, doorbell: 0, msi: 0, dma: 0 };
  private readonly listeners: ((ev: LandEvent) => void)[] = [];

  /** A fabric in `sim` with the rates and decoders of `options`. */
  constructor(
    /** The simulation both hosts run in. */
    readonly sim: Simulation,
    options: FabricOptions,
  ) {
    this.bytesPerSec = options.bytesPerSec;
    this.latencyNs = options.latencyNs;
    this.completionTimeoutNs = options.completionTimeoutNs;
    const queue = (): CpuWriteQueue => new CpuWriteQueue(options.bytesPerSec / 1e9, options.postedBufferBytes);
    this.lanes = { 'rc-to-ep': new Lane('rc-to-ep', options.epTarget, queue()), 'ep-to-rc': new Lane('ep-to-rc', options.rcTarget, queue()) };
  }

  /** Whether the link is up (no hardware link loss injected). */
  get linkUp(): boolean {
    return this.up;
  }

  /** Link occupancy of a `len`-byte write (ns, rounded up). */
  serializationNs(len: number): Ns {
    return Math.max(1, Math.ceil((len * 1e9) / this.bytesPerSec));
  }

  /**
   * Posted-write flow control of a CPU copy of `bytes` issued over [t0, t1] on `dir`
   * (flowControl.ts): how long the CPU stalls after t1 (ns), also added to the lane's
   * `cpuStallNs`; 0 while the link is down (writes are dropped, nothing backs up).
   */
  cpuCopyStall(dir: FabricDirection, t0: Ns, t1: Ns, bytes: number): Ns {
    if (!this.up) return 0;
    const lane = this.lanes[dir];
    const stall = lane.cpu.copy(this.sim.now, t0, t1, bytes);
    lane.stats.cpuStallNs += stall;
    return stall;
  }

  /** Counters of direction `dir` (a live object). */
  stats(dir: FabricDirection): Readonly<LinkStats> {
    return this.lanes[dir].stats;
  }

  /** Posted writes issued but not yet landed on `dir`. */
  inFlight(dir: FabricDirection): number {
    const l = this.lanes[dir];
    return l.inflight.length + l.pending.length;
  }

  /** Time the link of `dir` finishes serialising what it holds (ns). */
  busyUntil(dir: FabricDirection): Ns {
    return this.lanes[dir].busyUntil;
  }

  /** Observe every landing write; returns the function that stops observing. */
  onLand(listener: (ev: LandEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Post a write; returns the TLP (its timing is known once `departEnd > 0`), or null if it was dropped. */
  post(w: PostedWrite): Tlp | null {
    const lane = this.lanes[w.dir];
    if (!this.up) {
      lane.stats.droppedLinkDown++;
      return null;
    }
    if (this.dropNext[w.kind] > 0) {
      this.dropNext[w.kind]--;
      lane.stats.droppedFault++;
      return null;
    }
    const tlp: Tlp = {
      dir: w.dir,
      kind: w.kind,
      addr: w.addr,
      len: w.len,
      data: w.data === null ? null : w.owned === true && w.data.length <= w.len ? w.data : w.data.slice(0, w.len),
      issue: Math.max(this.sim.now, Math.round(w.issue)),
      duration: Math.max(this.serializationNs(w.len), Math.round(w.duration ?? 0)),
      seq: ++this.seq,
      owner: this,
      departEnd: 0,
      arrival: 0,
      dropped: false,
    };
    if (tlp.issue <= this.sim.now) this.commit(lane, tlp);
    else {
      lane.pending.push(tlp);
      this.sim.at(tlp.issue, tlpIssue, tlp);
    }
    return tlp;
  }

  /** @internal Event: `tlp` reaches its issue time and enters the link. */
  issue(tlp: Tlp): void {
    if (tlp.dropped) return;
    const lane = this.lanes[tlp.dir];
    if (lane.pending[0] === tlp) lane.pending.shift();
    else {
      const i = lane.pending.indexOf(tlp);
      if (i >= 0) lane.pending.splice(i, 1);
    }
    this.commit(lane, tlp);
  }

  private commit(lane: Lane, tlp: Tlp): void {
    const start = Math.max(tlp.issue, lane.busyUntil);
    tlp.departEnd = start + tlp.duration;
    tlp.arrival = tlp.departEnd + this.latencyNs;
    lane.busyUntil = tlp.departEnd;
    lane.stats.tlps++;
    lane.stats.bytes += tlp.len;
    lane.inflight.push(tlp);
    this.sim.at(tlp.arrival, tlpLand, tlp);
  }

  /** @internal Event: `tlp` lands in the target's memory. */
  land(tlp: Tlp): void {
    if (tlp.dropped) return;
    const lane = this.lanes[tlp.dir];
    if (lane.inflight[0] === tlp) lane.inflight.shift();
    else {
      const i = lane.inflight.indexOf(tlp);
      if (i >= 0) lane.inflight.splice(i, 1);
    }
    const hit = lane.target.resolve(tlp.addr, tlp.len);
    if (hit === null) lane.stats.unmapped++;
    else {
      lane.stats.landed++;
      if (tlp.data !== null) hit.region.bytes.set(tlp.data, hit.offset);
      hit.region.onWrite?.(hit.offset, tlp.len);
    }
    if (this.listeners.length > 0) {
      const ev: LandEvent = { dir: tlp.dir, kind: tlp.kind, addr: tlp.addr, len: tlp.len, issue: tlp.issue, arrival: this.sim.now, mapped: hit !== null };
      for (const l of [...this.listeners]) l(ev);
    }
  }

  /**
   * A non-posted read of `width` bytes (2 or 4, little-endian) at wire address `addr`, issued
   * at `issue` on direction `dir` (the request's direction).
   */
  read(req: { readonly dir: FabricDirection; readonly addr: number; readonly width: 2 | 4; readonly issue: Ns }): ReadResult {
    const lane = this.lanes[req.dir];
    lane.stats.reads++;
    const ones = req.width === 2 ? 0xffff : 0xffffffff;
    if (!this.up) return { value: ones, waitNs: this.completionTimeoutNs, ok: false };
    const issue = Math.max(this.sim.now, Math.round(req.issue));
    let busy = lane.busyUntil;
    const earlier = lane.pending.length === 0 ? NO_TLPS : earlierPending(lane.pending, issue);
    for (const p of earlier) busy = Math.max(p.issue, busy) + p.duration;
    const waitNs = Math.max(0, busy - issue);
    lane.stats.readWaitNs += waitNs;
    const value = this.peekValue(lane, req.addr, req.width, earlier);
    return { value: value ?? ones, waitNs, ok: true };
  }

  /**
   * The little-endian value a read of `width` bytes at `addr` returns: the target memory with
   * the writes still in flight (and the earlier pending ones) applied over it, oldest first.
   */
  private peekValue(lane: Lane, addr: number, width: number, earlier: readonly Tlp[]): number | null {
    const hit = lane.target.resolve(addr, width);
    if (hit === null) return null;
    const mem = hit.region.bytes;
    let b0 = mem[hit.offset] ?? 0;
    let b1 = mem[hit.offset + 1] ?? 0;
    let b2 = width === 4 ? (mem[hit.offset + 2] ?? 0) : 0;
    let b3 = width === 4 ? (mem[hit.offset + 3] ?? 0) : 0;
    const end = addr + width;
    for (let k = 0, n = lane.inflight.length + earlier.length; k < n; k++) {
      const t = (k < lane.inflight.length ? lane.inflight[k] : earlier[k - lane.inflight.length]) as Tlp;
      const d = t.data;
      if (d === null || t.addr >= end || t.addr + d.length <= addr) continue;
      const lo = Math.max(addr, t.addr);
      const hi = Math.min(end, t.addr + d.length);
      for (let a = lo; a < hi; a++) {
        const v = d[a - t.addr] as number;
        const i = a - addr;
        if (i === 0) b0 = v;
        else if (i === 1) b1 = v;
        else if (i === 2) b2 = v;
        else b3 = v;
      }
    }
    return (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0;
  }

  /** Hardware link loss: every write in flight is lost and later ones are dropped until `restore`. */
  loseLink(): void {
    if (!this.up) return;
    this.up = false;
    for (const lane of Object.values(this.lanes)) {
      for (const t of [...lane.inflight, ...lane.pending]) {
        t.dropped = true;
        lane.stats.droppedLinkDown++;
      }
      lane.inflight.length = 0;
      lane.pending.length = 0;
      lane.busyUntil = this.sim.now;
      lane.cpu.reset(this.sim.now);
    }
  }

  /** Link recovery. */
  restore(): void {
    this.up = true;
  }

  /** Drop the next `n` writes of `kind` (fault injection). */
  dropNextWrites(kind: TlpKind, n: number): void {
    this.dropNext[kind] += n;
  }

  /** Writes of `kind` still to be dropped. */
  pendingDrops(kind: TlpKind): number {
    return this.dropNext[kind];
  }
}
