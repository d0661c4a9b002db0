import { describe, expect, it } from 'vitest';
import { builtinProfiles, DEFAULT_RAM_MIB, extendProfile, getProfile, parseProfile, pcieBytesPerSec, ProfileError, rcarS4Profile, type ProfilePatch } from '../../src/index.js';

describe('platform profiles', () => {
  it('ships rcar-s4 and x86-server, every parameter with unit and provenance', () => {
    expect(Object.keys(builtinProfiles).sort()).toEqual(['rcar-s4', 'x86-server']);
    const p = getProfile('rcar-s4');
    expect(p.cpu.count.value).toBe(8);
    expect(p.kernel.hz.value).toBe(250);
    for (const group of Object.values(p)) {
      if (typeof group !== 'object') continue;
      for (const param of Object.values(group as Record<string, { unit: string; source: string; note: string }>)) {
        expect(param.unit.length).toBeGreaterThan(0);
        expect(param.note.length).toBeGreaterThan(0);
      }
    }
    expect(pcieBytesPerSec(p) / 1e9).toBeCloseTo((2 * 16 * (128 / 130) * 0.85) / 8, 5);
  });

  it('names the field path, the value and what is allowed', () => {
    const bad = structuredClone(rcarS4Profile) as unknown as { memory: { readUncachedMBps: { value: number } }; kernel: { hz: { value: number } } };
    bad.memory.readUncachedMBps.value = -3;
    bad.kernel.hz.value = 123;
    let err: unknown;
    try {
      parseProfile(bad, 'my.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProfileError);
    const pe = err as ProfileError;
    expect(pe.code).toBe('EINVAL');
    expect(pe.issues).toEqual([
      { path: 'kernel.hz.value', value: 123, allowed: 'allowed one of 100, 250, 300, 1000' },
      { path: 'memory.readUncachedMBps.value', value: -3, allowed: 'allowed a number > 0' },
    ]);
    expect(pe.message).toContain('memory.readUncachedMBps.value: got -3, allowed a number > 0');
  });

  it('rejects wrong units, unknown fields, missing fields and unknown names', () => {
    expect(() => extendProfile(getProfile('rcar-s4'), { cpu: { count: { unit: 'cores' } } } as unknown as ProfilePatch)).toThrow(/cpu.count.unit: got "cores", allowed the unit "cpus"/);
    expect(() => extendProfile(getProfile('rcar-s4'), { cpu: { turbo: 1 } } as unknown as ProfilePatch)).toThrow(/cpu.turbo: got 1, no such field/);
    expect(() => extendProfile(getProfile('rcar-s4'), { cpu: { count: { value: 2.5 } } })).toThrow(/an integer ≥ 1 ≤ 32/);
    expect(() => extendProfile(getProfile('rcar-s4'), { cpu: { llcCpus: { value: 0 } } })).toThrow(/cpu\.llcCpus\.value: got 0, allowed an integer ≥ 1 ≤ 32/);
    const { llcCpus: _llc, ...cpuWithoutLlc } = getProfile('rcar-s4').cpu;
    expect(() => parseProfile({ ...getProfile('rcar-s4'), cpu: cpuWithoutLlc })).toThrow(/cpu\.llcCpus: got nothing, required: an object \(missing\)/);
    expect(() => parseProfile({ name: 'x' })).toThrow(/description: got nothing, required: a string \(missing\)/);
    expect(() => parseProfile({ name: 'x' })).toThrow(/\n {2}memory: got nothing, required: an object \(missing\)/);
    expect(() => parseProfile({ ...getProfile('rcar-s4'), kernel: { ...getProfile('rcar-s4').kernel, hz: 250 } })).toThrow(/kernel\.hz: got 250, allowed an object/);
    expect(() => getProfile('rcar-s5')).toThrow(/allowed rcar-s4, x86-server/);
    // An MSI capability grants a power of two of vectors (Multiple Message Enable), 1..32.
    expect(() => extendProfile(getProfile('rcar-s4'), { pcie: { msiVectors: { value: 12 } } })).toThrow(/pcie\.msiVectors\.value: got 12, allowed one of 1, 2, 4, 8, 16, 32/);
    expect(extendProfile(getProfile('rcar-s4'), { pcie: { msiVectors: { value: 8 } } }).pcie.msiVectors.value).toBe(8);
  });

  it('memory.ramMiB: the Spider board\'s DRAM, a server\'s, 4 GiB when a profile leaves it out, rejected when not positive', () => {
    expect(getProfile('rcar-s4').memory.ramMiB).toMatchObject({ value: 1920 + 2048, unit: 'MiB', source: 'code' });
    expect(getProfile('x86-server').memory.ramMiB).toMatchObject({ value: 65_536, unit: 'MiB' });
    const { ramMiB: _omitted, ...memory } = getProfile('rcar-s4').memory;
    const p = parseProfile({ ...getProfile('rcar-s4'), memory }, 'old.json');
    expect(p.memory.ramMiB).toEqual(DEFAULT_RAM_MIB);
    expect(p.memory.ramMiB.value).toBe(4096);
    expect(() => extendProfile(getProfile('rcar-s4'), { memory: { ramMiB: { value: 0 } } })).toThrow(/memory\.ramMiB\.value: got 0, allowed a number > 0/);
    expect(() => extendProfile(getProfile('rcar-s4'), { memory: { ramMiB: { unit: 'GiB' } } } as unknown as ProfilePatch)).toThrow(/allowed the unit "MiB"/);
  });

  it('extendProfile overrides values and leaves the base untouched', () => {
    const base = getProfile('rcar-s4');
    const p = extendProfile(base, { kernel: { hz: { value: 1000 } } });
    expect(p.kernel.hz.value).toBe(1000);
    expect(p.kernel.hz.unit).toBe('Hz');
    expect(base.kernel.hz.value).toBe(250);
  });
});
