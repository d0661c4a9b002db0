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
    expect(() => createNtbDev({ name: 'd', host, ops: partial as NtbDevOps })).toThrow(/ops refused \(ntb_dev_ops_is_valid\): missing linkIsUp$/);
    expect(() => createNtbDev({ name: 'd', host, ops: fakeOps({ dbVectorMask: () => 1 }) })).toThrow(/the doorbell vector ops are all or none: has dbVectorMask, missing dbVectorCount/);
  });

  it('requires one memory-window interface (inbound, outbound or both) and the message interface all or nothing, as ntb_dev_ops_is_valid', () => {
    const noMw: Partial<NtbDevOps> = fakeOps();
    delete noMw.mwSetTrans;
    expect(() => createNtbDev({ name: 'd', host, ops: noMw as NtbDevOps })).toThrow(/one memory-window interface is required: mwSetTrans \(inbound\), peerMwSetTrans \(outbound\), or both/);
    expect('mwSetTrans' in createNtbDev({ name: 'd', host, ops: { ...(noMw as NtbDevOps), peerMwSetTrans: (_t, done) => done(0) } }).ops).toBe(false);
    const someMsg = fakeOps({ msgCount: () => 4, msgRead: () => ({ pidx: 0, msg: 0 }), peerMsgWrite: () => 0 });
    expect(() => createNtbDev({ name: 'd', host, ops: someMsg })).toThrow(/the message ops are all or none: has msgCount, msgRead, peerMsgWrite, missing msgInbits, msgOutbits, msgReadSts, msgClearSts/);
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

  it('counts sleeping ops from call to done, and runs whenIdle waiters in an event when the last one finishes', () => {
    const sim = createSimulation();
    const h = createHost(sim, { name: 'h', profile: getProfile('rcar-s4') });
    const later = (done: (rc: number) => void, at: number): void => void sim.at(at, () => done(0));
    const dev = createNtbDev({
      name: 'd',
      host: h,
      ops: fakeOps({
        linkDisable: (done) => later(done, 5_000),
        linkEnable: (_s, _w, done) => later(done, 8_000),
        mwClearTrans: (_p, _w, done) => later(done, 3_000),
        peerMwSetTrans: (_t, done) => done(-ERRNO.EINVAL),
      }),
    });
    const log: string[] = [];
    dev.whenIdle(() => log.push(`idle at once ${sim.now}`));
    dev.ops.linkDisable((rc) => log.push(`disable ${rc} ${sim.now}`));
    dev.ops.linkEnable('auto', 'auto', (rc) => log.push(`enable ${rc} ${sim.now}`));
    dev.mwClearTrans(0, 0, (rc) => log.push(`clear ${rc} ${sim.now}`));
    expect(dev.sleepingOps).toBe(3);
    dev.ops.peerMwSetTrans?.({ pidx: 0, widx: 0, addr: 0, size: 0 }, (rc) => log.push(`peer set ${rc}`));
    expect(dev.sleepingOps).toBe(3);
    dev.whenIdle(() => log.push(`idle ${sim.now} (${dev.sleepingOps} in flight)`));
    sim.run();
    expect(log).toEqual(['idle at once 0', 'peer set -22', 'clear 0 3000', 'disable 0 5000', 'enable 0 8000', 'idle 8000 (0 in flight)']);
    expect(Object.keys(dev.ops).sort()).toEqual(Object.keys(fakeOps({ peerMwSetTrans: () => undefined })).sort());
  });

  it('sleepUntilIdle runs the simulation to the instant the last sleeping op finishes, or gives up at the limit and leaves nothing behind', () => {
    const sim = createSimulation();
    const h = createHost(sim, { name: 'h', profile: getProfile('rcar-s4') });
    let disableAt = 7_000;
    const dev = createNtbDev({ name: 'd', host: h, ops: fakeOps({ linkDisable: (done) => void sim.at(disableAt, () => done(0)) }) });
    sim.at(20_000, () => undefined);
    expect(dev.sleepUntilIdle(1_000)).toBe(true);
    expect(sim.now).toBe(0);
    dev.ops.linkDisable(() => undefined);
    expect(dev.sleepUntilIdle(100_000)).toBe(true);
    expect(sim.now).toBe(7_000);
    disableAt = 50_000;
    dev.ops.linkDisable(() => undefined);
    expect(dev.sleepUntilIdle(10_000)).toBe(false);
    expect(sim.now).toBe(17_000);
    expect(dev.sleepingOps).toBe(1);
    sim.at(60_000, () => undefined);
    sim.run();
    expect([sim.now, dev.sleepingOps]).toEqual([60_000, 0]);
  });
});
