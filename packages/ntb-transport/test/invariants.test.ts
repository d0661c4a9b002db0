/**
 * Property: random client calls on both sides of a loopback NTB (tx_enqueue of 0..max+1
 * bytes, rx_enqueue of a few buffers, ntb_transport_link_down / link_up from either side,
 * hardware link losses, time passing), then every client ready with buffers for all and time
 * to drain. Functional payload mode; each frame carries its number in its first bytes.
 *
 * Always checked: every call returns the kernel's errno for the state at the call; every
 * accepted frame's TX entry completes (tx_handler) exactly once with its length; a QP is up
 * exactly when its client's last event was 1 (and it has not called link_down since).
 *
 * What the kernel loses, and so what may be missing:
 * - Hardware link loss: every frame the receiver had not taken off the ring when the link
 *   dropped (writes in flight are dropped; ntb_transport_link_cleanup resets both ends with
 *   ntb_qp_link_cleanup and frees the MW buffers; the next link-up lays out zeroed rings).
 *   So per QP direction and per link epoch (restore to restore) the delivered frames are a
 *   prefix of the accepted ones, and in the last epoch all of them, with counters to match.
 * - ntb_transport_link_down on an idle QP (both rings consumed, nothing sent until the peer
 *   has taken the LINK_DOWN and reset): nothing.
 * - The QP is "tainted" for the rest of the epoch, and only the checks above hold for it, when
 *   the kernel does not keep the two ends in step:
 *   - link_down with frames still in either ring, or a frame sent before the peer reset: the
 *     rings are not resynchronised (stale DONE descriptors are taken as frames of the new
 *     session, unconsumed slots are overwritten, `ver` stops matching and the queue stalls;
 *     a DONE slot whose RX copy is still in flight can even be delivered twice);
 *   - link_down on an up QP while its link work is queued (link_up on an up QP): the work
 *     brings the QP back up with the client not ready, and frames taken then are dropped;
 *   - a frame sent while the peer has no MW buffer: nt->link_is_up is never cleared, so after
 *     a link loss link_up re-runs the QP handshake before the transport has renegotiated, and
 *     the peer's QP can come up and send into an untranslated window.
 * - With two QPs the QP_LINKS handshake echoes the peer's bits, so one QP's link_down can
 *   erase the other's bit: that QP stays up on one side only and its frames wait for good
 *   (checked: that side's QP_LINKS lacks the bit; then only a prefix is required).
 */
import { ERRNO, type ExecContext, type Task } from '@ntbsim/kernel';
import type { DmaBuffer } from '@ntbsim/ntb-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SPAD, type QpRing, type TransportParams, type TransportQp } from '../src/index.js';
import { payload, rig } from './harness.js';

type Side = 0 | 1;
type Size = number | 'max' | 'over';
type Cmd =
  | { readonly k: 'tx'; readonly side: Side; readonly q: number; readonly sizes: readonly Size[] }
  | { readonly k: 'rx'; readonly side: Side; readonly q: number; readonly n: number }
  | { readonly k: 'down' | 'up'; readonly side: Side; readonly q: number }
  | { readonly k: 'hw'; readonly downNs: number }
  | { readonly k: 'wait'; readonly ns: number };
type Step = readonly [Cmd, number];

interface Frame {
  readonly n: number;
  readonly data: Uint8Array;
  readonly epoch: number;
  completed: number;
}

/** One QP end and what its client saw. */
interface End {
  readonly qp: TransportQp;
  /** Every frame this end offered to tx_enqueue, by number. */
  readonly frames: Frame[];
  /** Numbers of the accepted frames, in order. */
  readonly accepted: number[];
  /** Frames this end received, in order, with the epoch they arrived in. */
  readonly received: { readonly len: number; readonly data: Uint8Array; readonly epoch: number }[];
  /**
   * Counters since the last reset: pkts since any reset, bytes since a full one. The kernel
   * counts tx_pkts at enqueue, tx_bytes at completion, rx_pkts / rx_bytes when it takes a
   * frame off the ring: a frame whose copy was in flight at a reset arrives after it but was
   * counted before (`skip*`).
   */
  readonly since: { txPkts: number; txBytes: number; rxPkts: number; rxBytes: number; skipPkts: number; skipBytes: number };
  /** The last event_handler status, or 2 once the client called link_down after a 1. */
  lastEvent: number | undefined;
}

const side = fc.constantFrom<Side>(0, 1);
const qn = fc.integer({ min: 0, max: 1 });
const size: fc.Arbitrary<Size> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.constant('max' as const) },
  { weight: 1, arbitrary: fc.constant('over' as const) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 4084 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 8 }) },
);
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  // At most 5 frames a step and 50 steps: frame numbers stay below 256, so one byte names a frame.
  { weight: 10, arbitrary: fc.record({ k: fc.constant('tx' as const), side, q: qn, sizes: fc.array(size, { minLength: 1, maxLength: 5 }) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('rx' as const), side, q: qn, n: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('down' as const), side, q: qn }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('up' as const), side, q: qn }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('hw' as const), downNs: fc.constantFrom(1_000_000, 30_000_000) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('wait' as const), ns: fc.constantFrom(100_000, 2_000_000, 15_000_000, 40_000_000) }) },
);
const steps = fc.array(fc.tuple(cmd, fc.constantFrom(0, 10_000, 200_000)), { minLength: 5, maxLength: 50, size: 'medium' });
const modes = fc.constantFrom<Partial<TransportParams>>({}, { txMemcpyOffload: true }, { useDma: true });

/** Run one case and check it; returns how many accepted frames had to arrive (clean QP, last epoch). */
function expectInvariants(steps: readonly Step[], queues: number, mode: Partial<TransportParams>, initialRx: number, settle: boolean): number {
  // 64 KiB windows of 4 KiB frames: 15 slots with one QP, 7 with two (max payload 4084).
  const r = rig({ functional: true, queues: 0, params: { ...mode, transportMtu: 4096, maxNumClients: queues }, lb: { mwSize: 1 << 16 } });
  const sides = [r.a, r.b] as const;
  while (!(r.a.transport.linkIsUp && r.b.transport.linkIsUp) && r.sim.now < 1_000_000_000) r.sim.run({ until: r.sim.now + 1_000_000 });
  expect(r.a.transport.linkIsUp && r.b.transport.linkIsUp).toBe(true);

  let epoch = 0;
  const tainted = new Set<string>();
  const taint = (q: number): void => void tainted.add(`${q}:${epoch}`);
  /** Per QP: the side whose reset ends a link_down transition (it has taken the LINK_DOWN). */
  const transition: (Side | null)[] = new Array<null>(queues).fill(null);
  const ends: [End[], End[]] = [[], []];
  const end = (s: Side, q: number): End => ends[s][q] as End;
  const other = (s: Side): Side => (s === 0 ? 1 : 0);

  for (const s of [0, 1] as const) {
    for (let q = 0; q < queues; q++) {
      const qp = sides[s].transport.createQueue({
        rx: (_qp, cb, len) => {
          expect(len).toBeGreaterThan(0);
          const e = end(s, q);
          e.received.push({ len, data: (cb as Uint8Array).slice(0, len), epoch });
          if (e.since.skipPkts > 0) e.since.skipPkts--;
          else e.since.rxPkts++;
          if (e.since.skipBytes > 0) e.since.skipBytes--;
          else e.since.rxBytes += len;
        },
        tx: (_qp, cb, len) => {
          const f = cb as Frame;
          expect(len).toBe(f.data.length);
          f.completed++;
          end(s, q).since.txBytes += len;
        },
        event: (status) => {
          end(s, q).lastEvent = status;
        },
      });
      if (qp === null) throw new Error('no free QP');
      const e: End = { qp, frames: [], accepted: [], received: [], since: { txPkts: 0, txBytes: 0, rxPkts: 0, rxBytes: 0, skipPkts: 0, skipBytes: 0 }, lastEvent: undefined };
      ends[s].push(e);
      const onReset = (full: boolean): void => {
        const inFlight = qp.queueDepths().rxPost;
        Object.assign(e.since, { txPkts: 0, rxPkts: 0, skipPkts: inFlight }, full ? { txBytes: 0, rxBytes: 0, skipBytes: inFlight } : {});
        if (transition[q] === s) transition[q] = null;
      };
      const linkDownReset = qp.linkDownReset.bind(qp);
      qp.linkDownReset = () => {
        onReset(true);
        linkDownReset();
      };
      const setupMw = qp.setupMw.bind(qp);
      qp.setupMw = (buf: DmaBuffer, ring: QpRing) => {
        onReset(false);
        setupMw(buf, ring);
      };
    }
  }
  const max = end(0, 0).qp.maxSize();
  const post = (s: Side, q: number, n: number, ctx?: ExecContext): void => {
    const qp = end(s, q).qp;
    for (let i = 0; i < n; i++) {
      const want = qp.queueDepths().rxFree === 0 ? -ERRNO.ENOMEM : 0;
      const buf = new Uint8Array(max);
      expect(qp.rxEnqueue(buf, buf, max, ctx)).toBe(want);
    }
  };
  for (const s of [0, 1] as const) {
    for (let q = 0; q < queues; q++) {
      post(s, q, initialRx);
      end(s, q).qp.linkUp();
    }
  }
  const all = (): End[] => [...ends[0], ...ends[1]];
  if (settle) {
    while (!all().every((e) => e.qp.linkQuery()) && r.sim.now < 1_200_000_000) r.sim.run({ until: r.sim.now + 1_000_000 });
  }

  const checkEvents = (): void => {
    for (const e of all()) {
      const what = `qp${e.qp.qpNum} of ${e.qp.nt.dev.name}`;
      if (e.qp.linkQuery()) expect(e.lastEvent, `${what} is up: its last event is 1`).toBe(1);
      else expect(e.lastEvent, `${what} was taken down by the peer or the link: its client was told 0`).not.toBe(1);
    }
  };
  /** Both rings of QP q consumed (a side without its window buffer has nothing to consume). */
  const quiescent = (q: number): boolean => [end(0, q).qp, end(1, q).qp].every((qp) => qp.rxBuf === null || qp.txFreeEntry() === qp.txRing.maxEntry - 1);

  // The client of each side: one kthread making its calls in order (tx_enqueue is serialised per QP).
  const work: [((ctx: ExecContext) => void)[], ((ctx: ExecContext) => void)[]] = [[], []];
  const drivers = ([0, 1] as const).map((s): Task =>
    sides[s].host.createKthread('fuzz-client', (ctx) => {
      const op = work[s].shift();
      if (op === undefined) return 'sleep';
      op(ctx);
      return work[s].length > 0 ? 'run' : 'sleep';
    }),
  );
  const call = (s: Side, op: (ctx: ExecContext) => void): void => {
    work[s].push(op);
    drivers[s]?.wake();
  };

  const tx = (s: Side, q: number, size: Size): void =>
    call(s, (ctx) => {
      const e = end(s, q);
      const qp = e.qp;
      const len = size === 'max' ? max : size === 'over' ? max + 1 : size;
      const n = e.frames.length;
      const data = payload(1000 * s + 100 * q + n, len);
      for (let i = 0; i < Math.min(4, len); i++) data[i] = (n >>> (8 * i)) & 0xff;
      const f: Frame = { n, data, epoch, completed: 0 };
      e.frames.push(f);
      let want = 0;
      if (len === 0) want = -ERRNO.EINVAL;
      else if (!qp.linkQuery()) want = -ERRNO.ENOLINK;
      else if (len > max) want = -ERRNO.EMSGSIZE;
      else if (qp.queueDepths().txFree === 0) want = -ERRNO.EBUSY;
      else if (qp.txFreeEntry() === 0) want = -ERRNO.EAGAIN;
      expect(qp.txEnqueue(ctx, f, data, len)).toBe(want);
      if (want !== 0) return;
      e.accepted.push(n);
      e.since.txPkts++;
      if (transition[q] !== null || end(other(s), q).qp.rxBuf === null) taint(q);
    });

  for (const [c, gap] of steps) {
    const q = 'q' in c ? c.q % queues : 0;
    switch (c.k) {
      case 'tx':
        for (const len of c.sizes) tx(c.side, q, len);
        break;
      case 'rx':
        call(c.side, (ctx) => post(c.side, q, c.n, ctx));
        break;
      case 'up':
        call(c.side, () => end(c.side, q).qp.linkUp());
        break;
      case 'down':
        call(c.side, (ctx) => {
          const e = end(c.side, q);
          const up = e.qp.linkQuery();
          if (transition[q] !== null || !quiescent(q) || (up && e.qp.linkWork.delayedPending)) taint(q);
          if (up) transition[q] = other(c.side);
          e.qp.linkDown(ctx);
          if (e.lastEvent === 1) e.lastEvent = 2;
        });
        break;
      case 'hw':
        r.pair.setLink(false);
        r.sim.run({ until: r.sim.now + c.downNs });
        r.pair.setLink(true);
        epoch++;
        transition.fill(null);
        break;
      case 'wait':
        r.sim.run({ until: r.sim.now + c.ns });
        break;
    }
    r.sim.run({ until: r.sim.now + gap });
    checkEvents();
  }

  // Drain: every client ready, a buffer for every frame still owed, time to relink and deliver.
  r.sim.run({ until: r.sim.now + 50_000_000 });
  for (const s of [0, 1] as const) {
    for (let q = 0; q < queues; q++) {
      const e = end(s, q);
      if (!e.qp.clientReady) e.qp.linkUp();
      post(s, q, Math.min(e.qp.queueDepths().rxFree, end(other(s), q).accepted.length - e.received.length + 2));
    }
  }
  r.sim.run({ until: r.sim.now + 300_000_000 });
  checkEvents();

  /** QP q is up on one side only, the other side's QP_LINKS having lost the peer's bit. */
  const halfUp = (q: number): boolean =>
    ([0, 1] as const).some((d) => {
      const down = end(d, q).qp;
      return end(other(d), q).qp.linkQuery() && !down.linkQuery() && down.clientReady && (sides[d].transport.dev.spadRead(SPAD.QP_LINKS) & down.bit) === 0;
    });
  let mustArrive = 0;
  for (const s of [0, 1] as const) {
    for (let q = 0; q < queues; q++) {
      const tx = end(s, q);
      const rx = end(other(s), q);
      const label = `qp${q} ${s === 0 ? 'a→b' : 'b→a'}`;
      for (const f of tx.frames) expect(f.completed, `${label} frame ${f.n}: TX completions`).toBe(tx.accepted.includes(f.n) ? 1 : 0);
      const seen = new Set<number>();
      const byEpoch = new Map<number, number[]>();
      for (const d of rx.received) {
        let n = 0;
        for (let i = 0; i < Math.min(4, d.len); i++) n |= (d.data[i] ?? 0) << (8 * i);
        const f = tx.frames[n];
        if (f === undefined || !tx.accepted.includes(n) || f.data.length !== d.len || !f.data.every((b, i) => d.data[i] === b)) {
          const taintedBefore = [...tainted].some((t) => t.startsWith(`${q}:`) && Number(t.split(':')[1]) <= d.epoch);
          expect(taintedBefore, `${label}: ${d.len} bytes that were never sent arrived on a clean QP`).toBe(true);
          continue;
        }
        if (seen.has(n)) {
          expect(tainted.has(`${q}:${f.epoch}`), `${label}: frame ${n} delivered twice on a clean QP`).toBe(true);
          continue;
        }
        seen.add(n);
        byEpoch.set(f.epoch, [...(byEpoch.get(f.epoch) ?? []), n]);
      }
      for (let e = 0; e <= epoch; e++) {
        if (tainted.has(`${q}:${e}`)) continue;
        const sent = tx.accepted.filter((n) => tx.frames[n]?.epoch === e);
        const got = byEpoch.get(e) ?? [];
        if (e === epoch && !halfUp(q)) {
          expect(got, `${label}: every accepted frame delivered once, in order`).toEqual(sent);
          mustArrive += sent.length;
        } else expect(got, `${label} epoch ${e}: a prefix of the accepted frames, in order`).toEqual(sent.slice(0, got.length));
      }
      if (tainted.has(`${q}:${epoch}`)) continue;
      const { stats: ts } = tx.qp;
      const { stats: rs } = rx.qp;
      expect({ txPkts: ts.txPkts, txBytes: ts.txBytes }, `${label} sender counters`).toEqual({ txPkts: tx.since.txPkts, txBytes: tx.since.txBytes });
      expect({ rxPkts: rs.rxPkts, rxBytes: rs.rxBytes, rxErrVer: rs.rxErrVer, rxErrOflow: rs.rxErrOflow }, `${label} receiver counters`).toEqual({ rxPkts: rx.since.rxPkts, rxBytes: rx.since.rxBytes, rxErrVer: 0, rxErrOflow: 0 });
      if (!halfUp(q)) expect(tx.qp.txFreeEntry(), `${label} ring drained`).toBe(tx.qp.txRing.maxEntry - 1);
    }
  }
  return mustArrive;
}

describe('invariants under link flaps (property-based)', () => {
  it('accepted frames arrive exactly once, in order and intact, except those the kernel loses; errnos, completions, events and counters agree', () => {
    const numRuns = 250;
    let mustArrive = 0;
    fc.assert(
      fc.property(steps, fc.integer({ min: 1, max: 2 }), modes, fc.integer({ min: 0, max: 3 }), fc.boolean(), (s, queues, mode, initialRx, settle) => {
        mustArrive += expectInvariants(s, queues, mode, initialRx, settle);
      }),
      { numRuns },
    );
    // The strong check is not vacuous: clean QPs are the common case (about four frames a case).
    expect(mustArrive).toBeGreaterThan(numRuns);
  }, 120_000);
});
