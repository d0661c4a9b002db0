/**
 * A minimal ideal NTB pair for testing the transport against the ntb-core contract alone:
 * two devices with shared scratchpads, per-bit doorbell vectors, one memory window each way,
 * posted writes landing after a fixed latency, an optional write-combining linger (flushed by
 * barrier + read-back), and a simple DMA channel. It proves the transport needs nothing
 * beyond ntb-core; the R-Car S4 hardware lives in @ntbsim/ntb-hw-epf.
 */
import { Work, type ExecContext, type Host, type Ns } from '@ntbsim/kernel';
import { createNtbDev, type DmaBuffer, type DmaChannel, type IoWindow, type NtbDev, type NtbDevOps } from '@ntbsim/ntb-core';

export interface LoopbackOptions {
  readonly mwSize?: number;
  readonly mwCount?: number;
  readonly latencyNs?: Ns;
  readonly spadCount?: number;
  readonly dbCount?: number;
  readonly dmaChannels?: number;
}

interface Side {
  host: Host;
  spads: number[];
  db: number;
  dbMask: number;
  linkEnabled: boolean;
  inbound: (DmaBuffer | null)[];
  dev: NtbDev | null;
  irqs: { raise(): void }[];
}

export interface LoopbackPair {
  readonly a: NtbDev;
  readonly b: NtbDev;
  /** Linger of writes in the WC buffer until drained (ns); 0 = drained at once. */
  wcLingerNs: Ns;
  /** Doorbells dropped on purpose (fault). */
  dropDoorbells: number;
  /** Fail the next N DMA copies. */
  failDma: number;
  /** Cut or restore the link. */
  setLink(up: boolean): void;
  /** Called on every local scratchpad read (ntb_spad_read) of either device. */
  onSpadRead: ((dev: NtbDev, sidx: number) => void) | null;
}

export function createLoopbackPair(hosts: { a: Host; b: Host }, opt: LoopbackOptions = {}): LoopbackPair {
  const mwSize = opt.mwSize ?? 1 << 20;
  const mwCount = opt.mwCount ?? 1;
  const latency = opt.latencyNs ?? 1_000;
  const spadCount = opt.spadCount ?? 16;
  const dbCount = opt.dbCount ?? 8;
  let dmaFree = opt.dmaChannels ?? 4;
  let nextAddr = 0x1000_0000;
  let physUp = true;
  const mk = (host: Host): Side => ({ host, spads: new Array<number>(spadCount).fill(0), db: 0, dbMask: 0, linkEnabled: false, inbound: new Array<DmaBuffer | null>(mwCount).fill(null), dev: null, irqs: [] });
  const A = mk(hosts.a);
  const B = mk(hosts.b);
  const pair = { wcLingerNs: 0, dropDoorbells: 0, failDma: 0, onSpadRead: null } as LoopbackPair;
  const up = (): boolean => physUp && A.linkEnabled && B.linkEnabled;

  function notifyLink(): void {
    for (const s of [A, B]) {
      const w = new Work('link_event', () => s.dev?.linkEvent());
      s.host.createWorkqueue('lb').queue(w);
    }
  }

  const windowIndex = new WeakMap<IoWindow, number>();
  function makeOps(self: Side, peer: Side): NtbDevOps {
    const sim = self.host.sim;
    const allocated = new Map<number, DmaBuffer>();
    function land(at: Ns, fn: () => void): void {
      sim.at(at, () => {
        if (physUp) fn();
      });
    }
    function ioWindow(widx: number): IoWindow {
      let lastLand = 0;
      const pending: (() => void)[] = [];
      let drainAt = -1;
      const issue = (ctx: ExecContext, fn: () => void): void => {
        const dst = (): DmaBuffer | null => peer.inbound[widx] ?? null;
        const apply = (): void => {
          if (dst() !== null) fn();
        };
        if (pair.wcLingerNs === 0) {
          lastLand = Math.max(lastLand, ctx.time + latency);
          land(lastLand, apply);
        } else {
          pending.push(apply);
          if (drainAt < 0) {
            drainAt = ctx.time + pair.wcLingerNs;
            sim.at(drainAt, () => flush(sim.now));
          }
        }
      };
      const flush = (t: Ns): void => {
        const fns = pending.splice(0);
        drainAt = -1;
        if (fns.length === 0) return;
        lastLand = Math.max(lastLand, t + latency);
        land(lastLand, () => fns.forEach((f) => f()));
      };
      const io: IoWindow = {
        size: mwSize,
        memcpyToio(ctx, offset, data, len) {
          ctx.charge(self.host.costs.memcpyToio(len));
          const copy = data === null ? null : data.slice(0, len);
          issue(ctx, () => {
            if (copy !== null) peer.inbound[widx]?.bytes.set(copy, offset);
          });
        },
        iowrite32(ctx, offset, value) {
          ctx.charge(self.host.costs.mmioWrite());
          issue(ctx, () => peer.inbound[widx]?.view.setUint32(offset, value, true));
        },
        ioread32(ctx, offset) {
          flush(ctx.time);
          const done = Math.max(lastLand, ctx.time + latency) + latency;
          ctx.charge(done - ctx.time);
          return peer.inbound[widx]?.view.getUint32(offset, true) ?? 0xffffffff;
        },
        barrier(ctx) {
          flush(ctx.time);
        },
      };
      windowIndex.set(io, widx);
      return io;
    }
    function dmaChannel(): DmaChannel {
      const name = `dma0chan${dmaFree}`;
      let busyUntil = 0;
      /** Bumped by terminate: descriptors of an earlier generation neither apply nor call back. */
      let generation = 0;
      let cookie = 1;
      let completed = 1;
      const waiters: { cookie: number; done: () => void }[] = [];
      const isComplete = (c: number): boolean => c <= completed || c > cookie;
      const complete = (c: number): void => {
        completed = Math.max(completed, c);
        for (const w of waiters.splice(0)) {
          if (isComplete(w.cookie)) sim.after(0, w.done);
          else waiters.push(w);
        }
      };
      const run = (ctx: ExecContext, len: number, apply: () => void, done: (ok: boolean, ctx: ExecContext) => void): number => {
        const gen = generation;
        const c = ++cookie;
        ctx.charge(self.host.costs.dmaSetup());
        const start = Math.max(busyUntil, ctx.time);
        busyUntil = start + Math.round(self.host.costs.dmaTransfer(len)) + latency;
        const fail = pair.failDma > 0;
        if (fail) pair.failDma--;
        const irq = self.host.requestIrq(`${name}-done`, (ictx) => {
          if (gen !== generation) return;
          if (!fail) apply();
          done(!fail, ictx);
          complete(c);
        });
        sim.at(busyUntil, () => irq.raise());
        return c;
      };
      return {
        name,
        copyToPeer(ctx, req, done) {
          const copy = req.data === null ? null : req.data.slice(0, req.len);
          return run(ctx, req.len, () => {
            if (copy !== null) peer.inbound[windowIndex.get(req.dst) ?? 0]?.bytes.set(copy, req.offset);
          }, done);
        },
        copyFromLocal(ctx, req, done) {
          return run(ctx, req.len, () => req.dst?.set(req.src.bytes.subarray(req.offset, req.offset + Math.min(req.len, req.dst.length))), done);
        },
        syncWait(c, done) {
          if (isComplete(c)) done();
          else waiters.push({ cookie: c, done });
        },
        terminate() {
          generation++;
          busyUntil = 0;
          complete(cookie);
        },
        release() {
          dmaFree++;
        },
      };
    }
    const validMask = (1 << dbCount) - 1;
    self.irqs = Array.from({ length: dbCount }, (_, v) =>
      self.host.requestIrq(`lb-db${v}`, (ctx) => {
        self.dev?.dbEvent(v, ctx);
      }),
    );
    return {
      portNumber: () => (self === A ? 0 : 1),
      peerPortCount: () => 1,
      peerPortNumber: () => (self === A ? 1 : 0),
      peerPortIdx: () => 0,
      linkIsUp: () => (up() ? { peers: 1, speed: 4, width: 2 } : { peers: 0, speed: 'none', width: 'none' }),
      linkEnable(_s, _w, done) {
        const was = up();
        self.linkEnabled = true;
        done(0);
        if (!was && up()) notifyLink();
      },
      linkDisable(done) {
        const was = up();
        self.linkEnabled = false;
        done(0);
        if (was) notifyLink();
      },
      mwCount: () => mwCount,
      mwGetAlign: () => ({ addrAlign: 4096, sizeAlign: 1, sizeMax: mwSize }),
      mwSetTrans(t, done) {
        const buf = allocated.get(t.addr);
        if (buf === undefined || t.widx >= mwCount || t.size > mwSize) return done(-22);
        self.inbound[t.widx] = buf;
        done(0);
      },
      mwClearTrans: (_p, widx, done) => {
        self.inbound[widx] = null;
        done(0);
      },
      peerMwCount: () => mwCount,
      peerMwGetAddr: (widx) => ({ base: 0x4000_0000 + widx * mwSize, size: mwSize }),
      dbValidMask: () => validMask,
      dbVectorCount: () => dbCount,
      dbVectorMask: (v) => (1 << v) & validMask,
      dbRead: () => self.db,
      dbClear: (bits) => ((self.db &= ~bits), 0),
      dbSetMask: (bits) => ((self.dbMask |= bits), 0),
      dbClearMask: (bits) => ((self.dbMask &= ~bits), 0),
      peerDbSet(bits, ctx) {
        ctx.charge(self.host.costs.mmioWrite());
        if (pair.dropDoorbells > 0) {
          pair.dropDoorbells--;
          return 0;
        }
        land(ctx.time + latency, () => {
          peer.db |= bits;
          for (let v = 0; v < dbCount; v++) if (bits & (1 << v)) peer.irqs[v]?.raise();
        });
        return 0;
      },
      spadCount: () => spadCount,
      spadRead: (i) => {
        if (self.dev !== null) pair.onSpadRead?.(self.dev, i);
        return self.spads[i] ?? 0;
      },
      spadWrite: (i, v) => ((self.spads[i] = v >>> 0), 0),
      peerSpadRead: (_p, i) => peer.spads[i] ?? 0,
      peerSpadWrite: (_p, i, v) => {
        if (physUp) peer.spads[i] = v >>> 0;
        return 0;
      },
      allocCoherent(size) {
        const bytes = new Uint8Array(size);
        const buf: DmaBuffer = { dmaAddr: nextAddr, size, bytes, view: new DataView(bytes.buffer) };
        nextAddr += size;
        allocated.set(buf.dmaAddr, buf);
        return buf;
      },
      freeCoherent(buf) {
        allocated.delete(buf.dmaAddr);
        const i = self.inbound.indexOf(buf);
        if (i >= 0) self.inbound[i] = null;
      },
      peerMwIoremap: (widx) => (widx < mwCount ? ioWindow(widx) : null),
      requestDmaChannel: () => (dmaFree > 0 ? (dmaFree--, dmaChannel()) : null),
    };
  }
  const opsA = makeOps(A, B);
  const opsB = makeOps(B, A);
  A.dev = createNtbDev({ name: '0000:01:00.0', host: hosts.a, ops: opsA });
  B.dev = createNtbDev({ name: '0000:02:00.0', host: hosts.b, ops: opsB });
  pair.setLink = (v: boolean) => {
    const was = up();
    physUp = v;
    if (was !== up()) notifyLink();
  };
  return Object.assign(pair, { a: A.dev, b: B.dev });
}
