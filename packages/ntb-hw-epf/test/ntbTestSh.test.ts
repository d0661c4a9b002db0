/**
 * The checks of tools/testing/selftests/drivers/ntb/ntb_test.sh that ntb_tool runs through
 * debugfs, done on the NTB devices directly: doorbell_test (ring the peer's bits one after
 * another, read `db` on the other side), mw_test (fill a translated buffer, read it back through
 * the peer's window) and link_test (disable, the peer sees the link down, enable again).
 */
import type { ExecContext } from '@ntbsim/kernel';
import type { NtbDev } from '@ntbsim/ntb-core';
import { describe, expect, it } from 'vitest';
import { inStep, linkUp, probedPair, runFor, runOp } from './helpers.js';

const up = (dev: NtbDev): boolean => (dev.ops.linkIsUp().peers & 1) === 1;

describe('ntb_test.sh doorbell_test: bits rung one after another', () => {
  // Legacy vNTB takes host bit b from slot b + 2 as EP bit b + 1 (mainline's offset): db
  // accumulates, one bit up, so ntb_test.sh's doorbell_test fails on the EP in legacy mode too.
  it.each([
    ['legacy', [0b10, 0b110, 0b1110]],
    ['per-bit', [0b1, 0b11, 0b111]],
  ] as const)('%s: the EP (pci-epf-vntb) db accumulates the host\'s bits 0, 1, 2 (as %j)', (mode, expected) => {
    const { sim, pair } = probedPair({ doorbell: { rc: mode, ep: mode } });
    expect(linkUp(sim, pair)).toBe(0);
    pair.ep.ops.dbClear(pair.ep.ops.dbValidMask());
    const seen: number[] = [];
    for (const b of [0, 1, 2]) {
      inStep(pair.rc.host, (ctx) => pair.rc.ops.peerDbSet(1 << b, ctx));
      runFor(sim, 20_000_000);
      seen.push(pair.ep.ops.dbRead());
    }
    expect(seen).toEqual(expected);
  });

  it('per-bit: the host (ntb_hw_epf) db accumulates the EP\'s bits 0, 1, 2', () => {
    const { sim, pair } = probedPair({ doorbell: { rc: 'per-bit', ep: 'per-bit' } });
    expect(linkUp(sim, pair)).toBe(0);
    pair.rc.ops.dbClear(pair.rc.ops.dbValidMask());
    const seen: number[] = [];
    for (const b of [0, 1, 2]) {
      inStep(pair.ep.host, (ctx) => pair.ep.ops.peerDbSet(1 << b, ctx));
      runFor(sim, 20_000_000);
      seen.push(pair.rc.ops.dbRead());
    }
    expect(seen).toEqual([0b1, 0b11, 0b111]);
  });

  // Mainline legacy ntb_epf_vec_isr sets db_val = irq_no + 1 (EP bit b arrives on vector b + 2):
  // db_read is the last vector's number, not a mask of the bits rung, so ntb_test.sh's
  // doorbell_test (which expects the bits it rang) fails on the RC in legacy mode.
  it('legacy: the host (ntb_hw_epf) db_read is the last vector + 1 (irq_no + 1), not an accumulated mask', () => {
    const { sim, pair } = probedPair({ doorbell: { rc: 'legacy', ep: 'legacy' } });
    expect(linkUp(sim, pair)).toBe(0);
    const seen: number[] = [];
    for (const b of [0, 1, 2]) {
      inStep(pair.ep.host, (ctx) => pair.ep.ops.peerDbSet(1 << b, ctx));
      runFor(sim, 20_000_000);
      seen.push(pair.rc.ops.dbRead());
    }
    expect(seen).toEqual([3, 4, 5]);
  });
});

describe('ntb_test.sh mw_test: the owner fills its buffer, the peer reads it back through its window', () => {
  const SIZE = 4096;

  it.each([
    ['the EP owns the buffer, the host reads it through BAR2', 'ep', 'rc'],
    ['the host owns the buffer, the EP reads it through its peer window', 'rc', 'ep'],
  ] as const)('%s', (_what, owner, reader) => {
    const { sim, pair } = probedPair();
    expect(linkUp(sim, pair)).toBe(0);
    const own = pair[owner];
    const rd = pair[reader];
    const buf = own.ops.allocCoherent(SIZE, 4096);
    if (buf === null) throw new Error('no buffer');
    expect(runOp(sim, (d) => own.mwSetTrans({ pidx: 0, widx: 0, addr: buf.dmaAddr, size: SIZE }, d))).toBe(0);
    for (let i = 0; i < SIZE; i++) buf.bytes[i] = (i * 37 + 11) & 255;
    const win = rd.ops.peerMwIoremap(0);
    if (win === null) throw new Error('no window');
    const words: number[] = [];
    let cost = 0;
    inStep(rd.host, (ctx: ExecContext) => {
      const t0 = ctx.time;
      for (let off = 0; off < 64; off += 4) words.push(win.ioread32(ctx, off) >>> 0);
      words.push(win.ioread32(ctx, SIZE - 4) >>> 0);
      cost = ctx.time - t0;
    });
    runFor(sim, 10_000_000);
    const expected = [...Array.from({ length: 16 }, (_, k) => k * 4), SIZE - 4].map((off) => new DataView(buf.bytes.buffer, buf.bytes.byteOffset).getUint32(off, true));
    expect(words).toEqual(expected);
    // Each read is non-posted: at least the profile's round trip apiece.
    expect(cost).toBeGreaterThanOrEqual(17 * rd.host.profile.memory.mmioReadNs.value);
  });
});

describe('ntb_test.sh link_test: disable, the peer sees it, enable again', () => {
  it('host side: the EP sees the link go down and come back', () => {
    const { sim, pair } = probedPair();
    expect(linkUp(sim, pair)).toBe(0);
    runFor(sim, 50_000_000);
    expect([up(pair.rc), up(pair.ep)]).toEqual([true, true]);
    expect(runOp(sim, (d) => pair.rc.ops.linkDisable(d))).toBe(0);
    runFor(sim, 50_000_000);
    expect([up(pair.rc), up(pair.ep)]).toEqual([false, false]);
    expect(runOp(sim, (d) => pair.rc.ops.linkEnable('auto', 'auto', d))).toBe(0);
    runFor(sim, 50_000_000);
    expect([up(pair.rc), up(pair.ep)]).toEqual([true, true]);
  });

  // Mainline vntb_epf_link_disable / _enable return 0 and do nothing: ntb_test.sh's link_test
  // from the EP side would fail (the host never sees the link go down).
  it('EP side: disabling on pci-epf-vntb changes nothing the host sees; enabling again leaves both up', () => {
    const { sim, pair } = probedPair();
    expect(linkUp(sim, pair)).toBe(0);
    runFor(sim, 50_000_000);
    expect(runOp(sim, (d) => pair.ep.ops.linkDisable(d))).toBe(0);
    runFor(sim, 50_000_000);
    expect([up(pair.rc), up(pair.ep)]).toEqual([true, true]);
    expect(runOp(sim, (d) => pair.ep.ops.linkEnable('auto', 'auto', d))).toBe(0);
    runFor(sim, 50_000_000);
    expect([up(pair.rc), up(pair.ep)]).toEqual([true, true]);
  });
});
