import type { NtbDevOps } from '../src/index.js';

/** A minimal in-memory NtbDevOps for testing the core (no timing). */
export function fakeOps(overrides: Partial<NtbDevOps> = {}): NtbDevOps {
  const spads = new Array<number>(16).fill(0);
  let db = 0;
  const base: NtbDevOps = {
    portNumber: () => 0,
    peerPortCount: () => 1,
    peerPortNumber: () => 1,
    peerPortIdx: (port) => (port === 1 ? 0 : -22),
    linkIsUp: () => ({ peers: 1, speed: 4, width: 2 }),
    linkEnable: (_s, _w, done) => done(0),
    linkDisable: (done) => done(0),
    mwCount: () => 1,
    mwGetAlign: () => ({ addrAlign: 4096, sizeAlign: 1, sizeMax: 1 << 20 }),
    mwSetTrans: (_t, done) => done(0),
    mwClearTrans: (_p, _w, done) => done(0),
    peerMwCount: () => 1,
    peerMwGetAddr: () => ({ base: 0x3000_0000, size: 1 << 20 }),
    dbValidMask: () => 0b1111,
    dbRead: () => db,
    dbClear: (bits) => ((db &= ~bits), 0),
    dbSetMask: () => 0,
    dbClearMask: () => 0,
    peerDbSet: () => 0,
    spadCount: () => spads.length,
    spadRead: (i) => spads[i] ?? 0,
    spadWrite: (i, v) => ((spads[i] = v), 0),
    peerSpadRead: () => 0,
    peerSpadWrite: () => 0,
    allocCoherent: () => null,
    freeCoherent: () => undefined,
    peerMwIoremap: () => null,
  };
  return { ...base, ...overrides };
}
