import { createHost, createSimulation, ERRNO, getProfile, type ExecContext } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { createNtbDev, NtbError, type NtbDevOps } from '../src/index.js';
import { fakeOps } from './fakeOps.js';

const host = createHost(createSimulation(), { name: 'rc', profile: getProfile('rcar-s4') });

describe('NtbDev', () => {
  it('falls back to one vector covering every valid bit when the driver has no vector ops', () => {
    const dev = createNtbDev({ name: '0000:01:00.0', host, ops: fakeOps() });
    expect(dev.dbVectorCount()).toBe(1);
    expect(dev.dbVectorMask(0)).toBe(0b1111);
    expect(dev.dbVectorMask(3)).toBe(0b1111);
    expect(dev.topo).toBe('none');
  });

  it('uses the driver vector ops when present', () => {
    const dev = createNtbDev({ name: 'd', host, ops: fakeOps({ dbVectorCount: () => 4, dbVectorMask: (v) => 1 << v }) });
    expect(dev.dbVectorCount()).toBe(4);
    expect(dev.dbVectorMask(2)).toBe(0b100);
  });

  it('rejects ops missing required members or an unpaired vector op', () => {
    const partial: Partial<NtbDevOps> = fakeOps();
    delete partial.linkIsUp;
    expect(() => createNtbDev({ name: 'd', host, ops: partial as NtbDevOps })).toThrow(NtbError);
    expect(() => createNtbDev({ name: 'd', host, ops: partial as NtbDevOps })).toThrow(/ops missing linkIsUp/);
    expect(() => createNtbDev({ name: 'd', host, ops: fakeOps({ dbVectorMask: () => 1 }) })).toThrow(/as a pair/);
  });

  it('dispatches events to the one registered context; a second setCtx is -EINVAL', () => {
    const dev = createNtbDev({ name: 'd', host, ops: fakeOps() });
    const seen: string[] = [];
    expect(dev.setCtx({ linkEvent: () => seen.push('link'), dbEvent: (v) => seen.push(`db${v}`) })).toBe(0);
    expect(dev.setCtx({})).toBe(-ERRNO.EINVAL);
    dev.linkEvent();
    dev.dbEvent(3, {} as ExecContext);
    dev.msgEvent();
    dev.clearCtx();
    dev.linkEvent();
    expect(seen).toEqual(['link', 'db3']);
    expect(dev.setCtx({})).toBe(0);
  });
});
