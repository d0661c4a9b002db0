/**
 * Test rigs for ntb_perf: two R-Car S4 boards joined by the EPF hardware model (ntb_hw_epf on
 * the RC, pci-epf-vntb on the EP) with an ntb_perf client on each NTB bus, and a bare stub
 * device for the probe checks that never reach the hardware.
 */
import { createHost, createSimulation, ERRNO, getProfile, type Host, type PlatformProfile, type Simulation } from '@ntbsim/kernel';
import { createNtbDev, type IoWindow, type NtbDev, type NtbDevOps } from '@ntbsim/ntb-core';
import { createEpfPair, type EpfPair, type EpfPortMode } from '@ntbsim/ntb-hw-epf';
import { createNtbPerfClient, type NtbPerf, type NtbPerfClient, type NtbPerfOptions } from '../src/index.js';

/** Virtual time given to the link and the scratchpad handshake before a rig is handed out (ns). */
export const SETTLE_NS = 500_000_000;

/** An RC + EP pair with ntb_perf on both sides. */
export interface PerfRig {
  readonly sim: Simulation;
  readonly profile: PlatformProfile;
  readonly rc: Host;
  readonly ep: Host;
  readonly pair: EpfPair;
  readonly rcClient: NtbPerfClient;
  readonly epClient: NtbPerfClient;
}

/** Options of `perfRig`. */
export interface PerfRigOptions {
  readonly seed?: number;
  /** EPF port numbering. Default 'distinct' (RC port 0, EP port 1). */
  readonly ports?: EpfPortMode;
  /** vNTB memory windows. Default two of 1 MiB. */
  readonly mwSizes?: readonly number[];
  /** ntb_perf options of both clients. Default `{ params: { totalOrder: 22 } }`. */
  readonly perf?: NtbPerfOptions;
  /** Virtual time to run before returning (ns). Default SETTLE_NS. */
  readonly settleNs?: number;
}

/** Build the pair, register ntb_perf on both buses and let the link and the handshake run. */
export function perfRig(options: PerfRigOptions = {}): PerfRig {
  const sim = createSimulation({ seed: options.seed ?? 1 });
  const profile = getProfile('rcar-s4');
  const rc = createHost(sim, { name: 'rc', profile });
  const ep = createHost(sim, { name: 'ep', profile });
  const pair = createEpfPair({ rc, ep, ports: options.ports ?? 'distinct', vntb: { mwSizes: options.mwSizes ?? [1 << 20, 1 << 20] } });
  const perf = options.perf ?? { params: { totalOrder: 22 } };
  const rcClient = createNtbPerfClient(perf);
  const epClient = createNtbPerfClient(perf);
  pair.buses.rc.registerClient(rcClient);
  pair.buses.ep.registerClient(epClient);
  sim.run({ until: sim.now + (options.settleNs ?? SETTLE_NS) });
  return { sim, profile, rc, ep, pair, rcClient, epClient };
}

/** The one ntb_perf instance of `client`; throws when it did not bind. */
export function only(client: NtbPerfClient): NtbPerf {
  const all = [...client.instances.values()];
  const perf = all[0];
  if (perf === undefined || all.length !== 1) throw new Error(`expected one bound ntb_perf instance, got ${all.length}`);
  return perf;
}

/** What one test run left. */
export interface RunOutcome {
  /** runTest's return value. */
  readonly rc: number;
  /** The values `done` was called with, in order. */
  readonly done: readonly number[];
  /** readStats() after the run (or its errno). */
  readonly stats: string | number;
  /** Virtual time from the write to `run` to `done` (ns), or null. */
  readonly elapsedNs: number | null;
}

/** `echo pidx > run` on `perf`, then run the simulation until `done` (at most `limitNs` of virtual time). */
export function runToEnd(sim: Simulation, perf: NtbPerf, pidx = 0, limitNs = 5_000_000_000): RunOutcome {
  const done: number[] = [];
  const start = sim.now;
  let end: number | null = null;
  const rc = perf.runTest(pidx, (v) => {
    done.push(v);
    end = sim.now;
    sim.stop();
  });
  if (rc === 0) sim.run({ until: start + limitNs });
  return { rc, done, stats: perf.readStats(), elapsedNs: end === null ? null : end - start };
}

/** One line of `cat run`. */
export type StatLine = { readonly tidx: number; readonly copied: number; readonly usecs: number; readonly mbps: number } | { readonly tidx: number; readonly status: number };

/** Parse readStats() text: the header and one entry per thread line (throws on anything else). */
export function parseStats(text: string | number): { readonly header: string; readonly lines: readonly StatLine[] } {
  if (typeof text !== 'string') throw new Error(`readStats returned ${text}`);
  const [header = '', ...rest] = text.split('\n');
  const lines = rest
    .filter((l) => l !== '')
    .map((l): StatLine => {
      const ok = /^(\d+): copied (\d+) bytes in (\d+) usecs, (\d+) MBytes\/s$/.exec(l);
      if (ok !== null) return { tidx: Number(ok[1]), copied: Number(ok[2]), usecs: Number(ok[3]), mbps: Number(ok[4]) };
      const err = /^(\d+): error status (-\d+)$/.exec(l);
      if (err !== null) return { tidx: Number(err[1]), status: Number(err[2]) };
      throw new Error(`unexpected stats line ${JSON.stringify(l)}`);
    });
  return { header, lines };
}

/** A window stub for probe checks that never write (probe only maps it). */
const idleWindow = (size: number): IoWindow => ({
  size,
  memcpyToio: () => undefined,
  iowrite32: () => undefined,
  ioread32: () => 0xffffffff,
  barrier: () => undefined,
});

/**
 * A one-peer NTB device on a fresh host with `overrides` over sane defaults (ports 0 and 1, two
 * 1 MiB windows, 6 scratchpads, 2 doorbell bits, link down), for probe refusals.
 */
export function stubDevice(overrides: Partial<NtbDevOps> = {}): { readonly dev: NtbDev; readonly host: Host } {
  const sim = createSimulation({ seed: 1 });
  const host = createHost(sim, { name: 'h', profile: getProfile('rcar-s4') });
  const ops: NtbDevOps = {
    portNumber: () => 0,
    peerPortCount: () => 1,
    peerPortNumber: (pidx) => (pidx === 0 ? 1 : -ERRNO.EINVAL),
    peerPortIdx: (port) => (port === 1 ? 0 : -ERRNO.EINVAL),
    linkIsUp: () => ({ peers: 0, speed: 'none', width: 'none' }),
    linkEnable: (_s, _w, done) => done(0),
    linkDisable: (done) => done(0),
    mwCount: () => 2,
    mwGetAlign: () => ({ addrAlign: 4096, sizeAlign: 1, sizeMax: 1 << 20 }),
    mwSetTrans: (_t, done) => done(0),
    peerMwCount: () => 2,
    peerMwGetAddr: () => ({ base: 0x1000_0000, size: 1 << 20 }),
    dbValidMask: () => 0b11,
    dbRead: () => 0,
    dbClear: () => 0,
    dbSetMask: () => 0,
    dbClearMask: () => 0,
    peerDbSet: () => 0,
    spadCount: () => 6,
    spadRead: () => 0,
    spadWrite: () => 0,
    peerSpadRead: () => 0,
    peerSpadWrite: () => 0,
    allocCoherent: () => null,
    freeCoherent: () => undefined,
    peerMwIoremap: () => idleWindow(1 << 20),
    ...overrides,
  };
  return { dev: createNtbDev({ name: '0000:07:00.0', driverName: 'ntb_stub', host, ops }), host };
}
