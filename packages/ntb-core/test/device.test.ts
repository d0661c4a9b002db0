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

  it('requires one memory-window interface (inbound, outbound or both) and the message interface all or nothing, as ntb_dev_ops_is_valid', () => {
    const noMw: Partial<NtbDevOps> = fakeOps();
    delete noMw.mwSetTrans;
    expect(() => createNtbDev({ name: 'd', host, ops: noMw as NtbDevOps })).toThrow(/one memory-window interface is required: mwSetTrans \(inbound\), peerMwSetTrans \(outbound\), or both/);
    expect('mwSetTrans' in createNtbDev({ name: 'd', host, ops: { ...(noMw as NtbDevOps), peerMwSetTrans: (_t, done) => done(0) } }).ops).toBe(false);
    const someMsg = fakeOps({ msgCount: () => 4, msgRead: () => ({ pidx: 0, msg: 0 }), peerMsgWrite: () => 0 });
    expect(() => createNtbDev({ name: 'd', host, ops: someMsg })).toThrow(/message interface is all or nothing: has msgCount, msgRead, peerMsgWrite, missing msgInbits, msgOutbits, msgReadSts, msgClearSts/);
    const allMsg = { ...someMsg, msgInbits: () => 0xf, msgOutbits: () => 0xf0, msgReadSts: () => 0, msgClearSts: () => 0 };
    expect(createNtbDev({ name: 'd', host, ops: allMsg }).ops.msgCount?.()).toBe(4);
  });

  it('mwClearTrans calls the driver op, or sets a zero translation when the driver has none (the ntb_mw_clear_trans wrapper)', () => {
    const calls: string[] = [];
    const withClear = createNtbDev({ name: 'd', host, ops: fakeOps({ mwClearTrans: (p, w, done) => (calls.push(`clear ${p} ${w}`), done(0)) }) });
    withClear.mwClearTrans(0, 1, (rc) => calls.push(`rc ${rc}`));
    const ops: Partial<NtbDevOps> = fakeOps({ mwSetTrans: (t, done) => (calls.push(`set ${t.widx} ${t.addr} ${t.size}`), done(0)) });
    delete ops.mwClearTrans;
    createNtbDev({ name: 'd', host, ops: ops as NtbDevOps }).mwClearTrans(0, 2, (rc) => calls.push(`rc ${rc}`));
    expect(calls).toEqual(['clear 0 1', 'rc 0', 'set 2 0 0', 'rc 0']);
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
