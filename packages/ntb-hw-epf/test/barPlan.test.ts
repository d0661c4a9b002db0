import { createNtbBus } from '@ntbsim/ntb-core';
import { describe, expect, it } from 'vitest';
import { createEpfPair, EpfError, hostMemory, planBars, resolveVntbConfig, type EpfPairOptions } from '../src/index.js';
import { quietHosts } from './helpers.js';

const MiB = 1 << 20;

describe('BAR plan (R-Car S4: ctrl BAR0, MW BAR2, DB BAR4)', () => {
  it('defaults: 1 MW of 1 MiB, db_count 16, spad_count 128, 16 MSI vectors', () => {
    const cfg = resolveVntbConfig({}, { epMsiVectors: 16, epMode: 'legacy' });
    expect(cfg).toEqual({ numMws: 1, mwSizes: [MiB], mwOffsets: [0], dbCount: 16, spadCount: 128, msiVectors: 16, vbusNumber: 0x10, doorbellIrq: false });
    const plan = planBars(cfg);
    expect(plan.bar2).toEqual({ barNo: 2, base: 0x3000_0000, size: MiB });
    expect(plan.bar0).toEqual({ barNo: 0, base: 0x3010_0000, size: MiB });
    expect(plan.bar4).toEqual({ barNo: 4, base: 0x3020_0000, size: 256 });
    expect(plan.msiOutbound).toBe(0xfe00_0000);
    expect(plan.mws).toEqual([{ offset: 0, size: MiB, hostSize: MiB, outbound: 0xfe10_0000, outboundBytes: MiB }]);
  });

  it('packs several MWs into BAR2 at 4 KiB-aligned offsets (RFC mw2_offset layout)', () => {
    const cfg = resolveVntbConfig({ mwSizes: [0xe0000, 0x20000] }, { epMsiVectors: 16, epMode: 'per-bit' });
    expect(cfg.mwOffsets).toEqual([0, 0xe0000]);
    const plan = planBars(cfg);
    expect(plan.bar2.size).toBe(MiB);
    expect(plan.mws.map((m) => [m.offset, m.hostSize])).toEqual([
      [0, 0xe0000],
      [0xe0000, 0x20000],
    ]);
    const odd = planBars(resolveVntbConfig({ mwSizes: [0xf9000] }, { epMsiVectors: 16, epMode: 'legacy' }));
    expect(odd.mws[0]?.hostSize).toBe(MiB);
  });

  it('grows BAR2 to the next Resizable BAR size up to the 2 MiB ceiling', () => {
    const plan = planBars(resolveVntbConfig({ mwSizes: [MiB, 0x80000] }, { epMsiVectors: 16, epMode: 'legacy' }));
    expect(plan.bar2.size).toBe(2 * MiB);
  });
});

describe('bad configuration', () => {
  const cases: [string, Partial<EpfPairOptions>, RegExp, string][] = [
    ['an MW larger than its BAR', { vntb: { mwSizes: [MiB + 4096], bar2Size: MiB } }, /vntb\.mwSizes\[0\]: got 1052672, allowed ≤ 1048576 .*BAR2/, 'EINVAL'],
    ['MWs over the BAR2 ceiling', { vntb: { mwSizes: [MiB, MiB, 4096] } }, /vntb\.mwSizes: .*at most 2097152 bytes/, 'ENOSPC'],
    ['db_count 0', { vntb: { dbCount: 0 } }, /vntb\.dbCount: got 0, allowed 1\.\.32/, 'EINVAL'],
    ['db_count 33', { vntb: { dbCount: 33 } }, /vntb\.dbCount: got 33, allowed 1\.\.32/, 'EINVAL'],
    ['db_count 2 with a per-bit EP', { vntb: { dbCount: 2 }, doorbell: { ep: 'per-bit' } }, /vntb\.dbCount: got 2, allowed 3\.\.32 with a per-bit EP/, 'EINVAL'],
    ['an unaligned MW offset', { vntb: { mwSizes: [0x1000, 0x1000], mwOffsets: [0, 0x1800] } }, /vntb\.mwOffsets\[1\]: got 6144, allowed a multiple of 4096/, 'EINVAL'],
    ['MW1 not at offset 0', { vntb: { mwOffsets: [0x1000] } }, /vntb\.mwOffsets\[0\]: got 4096, allowed 0/, 'EINVAL'],
    ['overlapping MWs', { vntb: { mwSizes: [0x2000, 0x1000], mwOffsets: [0, 0x1000] } }, /vntb\.mwOffsets\[1\]: got 4096, allowed ≥ 8192/, 'EINVAL'],
    ['a BAR2 size that is not a ReBAR size', { vntb: { bar2Size: 3 * MiB } }, /vntb\.bar2Size: got 3145728, allowed a power of two ≥ 1 MiB/, 'EINVAL'],
    ['an unknown doorbell mode', { doorbell: { rc: 'fast' as 'legacy' } }, /doorbell\.rc: got "fast", allowed legacy or per-bit/, 'EINVAL'],
    ['more than 4 MWs', { vntb: { numMws: 5 } }, /vntb\.numMws: got 5, allowed 1\.\.4/, 'EINVAL'],
    ['sizes not matching num_mws', { vntb: { numMws: 2, mwSizes: [MiB] } }, /vntb\.mwSizes: got \[1048576\], allowed 2 sizes/, 'EINVAL'],
    ['more vectors than the EP MSI count', { vntb: { msiVectors: 32 } }, /vntb\.msiVectors: got 32, allowed ≤ 16 \(the EP's MSI count/, 'EINVAL'],
    ['too few vectors for the host', { vntb: { msiVectors: 2 } }, /vntb\.msiVectors: got 2, allowed a power of two ≥ 4/, 'EINVAL'],
    ['MWs that do not fit the 4 MiB outbound pool', { vntb: { mwSizes: [MiB, MiB, MiB, MiB], bar2CeilingBytes: 8 * MiB } }, /vntb\.mwSizes\[3\]: got 1048576, allowed outbound windows that fit the EP's 4194304-byte addr_space/, 'ENOMEM'],
    ['a negative WC linger', { wcLingerNs: -1 }, /wcLingerNs: got -1, allowed a finite number of ns ≥ 0/, 'EINVAL'],
  ];

  it.each(cases)('rejects %s with an errno-coded EpfError naming the field and the limit, leaving everything as it was', (_what, opts, message, code) => {
    const { rc, ep } = quietHosts();
    const buses = { rc: createNtbBus(), ep: createNtbBus() };
    const irqsBefore = [rc.irqs.size, ep.irqs.size];
    let err: unknown = null;
    try {
      createEpfPair({ ...opts, rc, ep, buses });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EpfError);
    expect((err as EpfError).code).toBe(code);
    expect((err as EpfError).message).toMatch(message);
    expect([rc.irqs.size, ep.irqs.size]).toEqual(irqsBefore);
    expect(buses.rc.deviceList).toHaveLength(0);
    expect(buses.ep.deviceList).toHaveLength(0);
    expect(hostMemory(ep).allocations).toHaveLength(0);
    expect(rc.sim.pending).toBe(false);
  });
});
