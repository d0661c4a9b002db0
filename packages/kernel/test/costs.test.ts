import { describe, expect, it } from 'vitest';
import { CostModel, extendProfile, getProfile, parseProfile, Rng } from '../src/index.js';

/** rcar-s4 without noise, its CPUs at `clockMhz` (its costs stay those of its 1.2 GHz OPP). */
function at(clockMhz: number): CostModel {
  const profile = extendProfile(getProfile('rcar-s4'), { cpu: { clockMhz: { value: clockMhz } }, noise: { runScaleSd: { value: 0 }, chargeJitterSd: { value: 0 } } });
  return new CostModel(profile, new Rng(1));
}

describe('CostModel and the CPU clock', () => {
  it('scales the CPU-bound costs by costClockMhz / clockMhz and leaves the memory-, bus- and link-bound ones', () => {
    const base = at(1200);
    const fast = at(2400);
    for (const f of ['txPacket', 'rxPacket', 'ack', 'irqEntryExit', 'softirqEntry', 'wakeup', 'dmaSetup'] as const) expect(fast[f]()).toBeCloseTo(base[f]() / 2, 6);
    expect(fast.csum(65536)).toBeCloseTo(base.csum(65536) / 2, 6);
    expect(fast.userCopy(65536)).toBeCloseTo(base.userCopy(65536) / 2, 6);
    // A copy out of the uncached RX ring: the call overhead halves, the per-byte time (the bus) does not.
    const callNs = getProfile('rcar-s4').memory.memcpyCallNs.value;
    expect(fast.memcpyFromCoherent(65536) - callNs / 2).toBeCloseTo(base.memcpyFromCoherent(65536) - callNs, 6);
    expect(fast.memcpyToio(4096) - callNs / 2).toBeCloseTo(base.memcpyToio(4096) - callNs, 6);
    expect(fast.mmioRead()).toBe(base.mmioRead());
    expect(fast.dmaTransfer(65536)).toBe(base.dmaTransfer(65536));
  });

  it('takes costClockMhz = clockMhz when a profile leaves it out', () => {
    const { costClockMhz: _c, ...cpu } = getProfile('x86-server').cpu;
    const p = parseProfile({ ...getProfile('x86-server'), cpu }, 'old.json');
    expect(p.cpu.costClockMhz).toMatchObject({ value: 3000, unit: 'MHz' });
    expect(new CostModel(p, new Rng(1)).txPacket()).toBe(new CostModel(getProfile('x86-server'), new Rng(1)).txPacket());
  });
});
