import { createHost, createSimulation, ERRNO, getProfile } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { createNtbDev, NtbError, type NtbDevOps, type NtbTopo } from '../src/index.js';
import { fakeOps } from './fakeOps.js';

const host = createHost(createSimulation(), { name: 'rc', profile: getProfile('rcar-s4') });

type OpName = keyof NtbDevOps;

const msgOps: Partial<NtbDevOps> = {
  msgCount: () => 4,
  msgInbits: () => 0xf,
  msgOutbits: () => 0xf0,
  msgReadSts: () => 0,
  msgClearSts: () => 0,
  msgRead: () => ({ pidx: 0, msg: 0 }),
  peerMsgWrite: () => 0,
};

/** fakeOps (port and scratchpad groups, no message group) plus `extra`, without `drop`. */
function opsWithout(drop: readonly OpName[], extra: Partial<NtbDevOps> = {}): NtbDevOps {
  const ops: Partial<NtbDevOps> = { ...fakeOps(), ...extra };
  for (const k of drop) delete ops[k];
  return ops as NtbDevOps;
}

/** The NtbError createNtbDev throws for `ops`, or null when it accepts them. */
function refusal(ops: NtbDevOps): NtbError | null {
  try {
    createNtbDev({ name: 'd', host, ops });
    return null;
  } catch (e) {
    if (e instanceof NtbError) return e;
    throw e;
  }
}

const portGroup: OpName[] = ['portNumber', 'peerPortCount', 'peerPortNumber', 'peerPortIdx'];
const spadGroup: OpName[] = ['spadCount', 'spadRead', 'spadWrite', 'peerSpadWrite'];
const msgGroup = Object.keys(msgOps) as OpName[];

describe('ntb_dev_ops_is_valid', () => {
  it.each<OpName>(['linkIsUp', 'linkEnable', 'linkDisable', 'mwCount', 'mwGetAlign', 'peerMwCount', 'peerMwGetAddr', 'dbValidMask', 'dbRead', 'dbClear', 'dbSetMask', 'dbClearMask', 'peerDbSet'])('refuses a device without %s with EINVAL', (op) => {
    const e = refusal(opsWithout([op]));
    expect(e?.code).toBe('EINVAL');
    expect(e?.message).toMatch(new RegExp(`: missing ${op}$`));
  });

  it.each<OpName>(['allocCoherent', 'freeCoherent', 'peerMwIoremap'])('refuses a device without the platform service %s (the model requires it of every device)', (op) => {
    expect(refusal(opsWithout([op]))?.message).toMatch(new RegExp(`: missing ${op}$`));
  });

  it.each<[string, OpName[], Partial<NtbDevOps>]>([
    ['port', portGroup, {}],
    ['scratchpad', spadGroup, {}],
    ['message', msgGroup, msgOps],
    ['doorbell vector', ['dbVectorCount', 'dbVectorMask'], { dbVectorCount: () => 2, dbVectorMask: (v) => 1 << v }],
  ])('refuses a device missing exactly one of the %s ops with EINVAL, and accepts one without the whole group', (_name, group, extra) => {
    expect(refusal(opsWithout([], extra))).toBeNull();
    const refused = group.map((op) => {
      const e = refusal(opsWithout([op], extra));
      return [op, e?.code, e?.message.includes(`missing ${op}`)];
    });
    expect(refused).toEqual(group.map((op) => [op, 'EINVAL', true]));
    expect(refusal(opsWithout(group, extra))).toBeNull();
  });

  it('keeps the scratchpad ops the kernel leaves optional optional: peerSpadRead, peerSpadAddr, spadIsUnsafe', () => {
    expect(refusal(opsWithout(['peerSpadRead']))).toBeNull();
    expect(refusal(opsWithout([...spadGroup, 'peerSpadRead']))).toBeNull();
    expect(refusal(opsWithout(spadGroup, { spadIsUnsafe: () => false, peerSpadAddr: () => 0x1000 }))).toBeNull();
  });

  it('keeps the message mask ops optional, and the translation ops either way round', () => {
    expect(refusal(opsWithout([], { ...msgOps, msgSetMask: () => 0 }))).toBeNull();
    expect(refusal(opsWithout(['mwSetTrans', 'mwClearTrans'], { peerMwSetTrans: (_t, done) => done(0) }))).toBeNull();
    expect(refusal(opsWithout(['mwSetTrans']))?.message).toMatch(/one memory-window interface is required/);
  });

  it("names every broken rule in the kernel's order", () => {
    const e = refusal(opsWithout(['peerSpadWrite', 'dbRead', 'linkEnable', 'peerPortIdx', 'freeCoherent'], { msgCount: () => 1 }));
    expect(e?.message).toBe(
      '[ntb-core] device d: ops refused (ntb_dev_ops_is_valid): the port ops are all or none: has portNumber, peerPortCount, peerPortNumber, missing peerPortIdx; missing linkEnable; missing dbRead; ' +
        'the scratchpad ops are all or none: has spadCount, spadRead, spadWrite, missing peerSpadWrite; the message ops are all or none: has msgCount, missing msgInbits, msgOutbits, msgReadSts, msgClearSts, msgRead, peerMsgWrite; missing freeCoherent',
    );
  });
});

describe('port wrappers (ntb_port_number, ntb_peer_port_count, ntb_peer_port_number, ntb_peer_port_idx)', () => {
  const noPorts = (topo: NtbTopo) => createNtbDev({ name: 'd', host, topo, ops: opsWithout(portGroup) });
  const EINVAL = -ERRNO.EINVAL;

  it.each<[NtbTopo, number, number]>([
    ['pri', 0, 1],
    ['b2b-usd', 0, 1],
    ['sec', 1, 0],
    ['b2b-dsd', 1, 0],
  ])('without port ops on %s: the default ports NTB_PORT_PRI_USD / NTB_PORT_SEC_DSD, one peer at index 0', (topo, port, peer) => {
    const dev = noPorts(topo);
    expect([dev.portNumber(), dev.peerPortCount(), dev.peerPortNumber(0), dev.peerPortNumber(1), dev.peerPortNumber(-1)]).toEqual([port, 1, peer, EINVAL, EINVAL]);
    expect([dev.peerPortIdx(peer), dev.peerPortIdx(port), dev.peerPortIdx(7)]).toEqual([0, EINVAL, EINVAL]);
  });

  it.each<NtbTopo>(['none', 'switch', 'crosslink'])('without port ops on %s: both default ports are 0 (core.c since the ntb_default_port_number fix), one peer at index 0', (topo) => {
    const dev = noPorts(topo);
    expect([dev.portNumber(), dev.peerPortCount(), dev.peerPortNumber(0), dev.peerPortNumber(1), dev.peerPortIdx(0), dev.peerPortIdx(1)]).toEqual([0, 1, 0, EINVAL, 0, EINVAL]);
  });

  it("calls the driver's port ops when it has them, whatever the topology", () => {
    const dev = createNtbDev({
      name: 'd',
      host,
      topo: 'pri',
      ops: fakeOps({ portNumber: () => 3, peerPortCount: () => 2, peerPortNumber: (pidx) => [5, 7][pidx] ?? EINVAL, peerPortIdx: (port) => [5, 7].indexOf(port) }),
    });
    expect([dev.portNumber(), dev.peerPortCount(), dev.peerPortNumber(1), dev.peerPortIdx(5), dev.peerPortIdx(1)]).toEqual([3, 2, 7, 0, -1]);
  });
});

describe('scratchpad wrappers (ntb_spad_* , ntb_peer_spad_*)', () => {
  it('without the scratchpad interface: no scratchpads, reads ~0, writes and the peer address -EINVAL, safe', () => {
    const dev = createNtbDev({ name: 'd', host, ops: opsWithout([...spadGroup, 'peerSpadRead']) });
    expect([dev.spadCount(), dev.spadRead(0), dev.spadWrite(0, 1), dev.peerSpadRead(0, 0), dev.peerSpadWrite(0, 0, 1), dev.peerSpadAddr(0, 0), dev.spadIsUnsafe()]).toEqual([0, 0xffff_ffff, -ERRNO.EINVAL, 0xffff_ffff, -ERRNO.EINVAL, -ERRNO.EINVAL, false]);
  });

  it("calls the driver's scratchpad ops when it has them; a missing peerSpadRead reads ~0", () => {
    const peer: number[] = [];
    const dev = createNtbDev({ name: 'd', host, ops: opsWithout(['peerSpadRead'], { peerSpadWrite: (_p, s, v) => ((peer[s] = v), 0), peerSpadAddr: (_p, s) => 0x4000 + 4 * s, spadIsUnsafe: () => true }) });
    expect([dev.spadWrite(2, 9), dev.spadRead(2), dev.spadCount(), dev.peerSpadWrite(0, 1, 5), peer[1], dev.peerSpadRead(0, 1), dev.peerSpadAddr(0, 3), dev.spadIsUnsafe()]).toEqual([0, 9, 16, 0, 5, 0xffff_ffff, 0x400c, true]);
  });
});
