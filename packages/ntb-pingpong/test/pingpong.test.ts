/**
 * ntb_pingpong on two R-Car S4 boards joined by the EPF model: the game ntb_test.sh's
 * pingpong_test watches (both counts grow, one pong per delay_ms and side), its probe checks,
 * and remove.
 */
import { createHost, createSimulation, ERRNO, getProfile, type Simulation } from '@ntbsim/kernel';
import type { NtbDevice } from '@ntbsim/ntb-core';
import { createEpfPair, type DoorbellMode, type EpfPair, type EpfPortMode } from '@ntbsim/ntb-hw-epf';
import { describe, expect, it } from 'vitest';
import { createNtbPingpongClient, genmask, NtbPingpong, type NtbPingpongClient, type PingpongParams } from '../src/index.js';

interface Rig {
  readonly sim: Simulation;
  readonly pair: EpfPair;
  readonly clients: { readonly rc: NtbPingpongClient; readonly ep: NtbPingpongClient };
}

function rig(options: { readonly doorbell?: DoorbellMode; readonly ports?: EpfPortMode; readonly params?: Partial<PingpongParams>; readonly seed?: number } = {}): Rig {
  const sim = createSimulation({ seed: options.seed ?? 1 });
  const profile = getProfile('rcar-s4');
  const rc = createHost(sim, { name: 'rc', profile });
  const ep = createHost(sim, { name: 'ep', profile });
  const mode = options.doorbell ?? 'legacy';
  const pair = createEpfPair({ rc, ep, doorbell: { rc: mode, ep: mode }, vntb: { mwSizes: [1 << 20], spadCount: 4, dbCount: 4 }, ...(options.ports === undefined ? {} : { ports: options.ports }) });
  sim.run({ until: sim.now + 100_000_000 });
  const clients = { rc: createNtbPingpongClient(options.params), ep: createNtbPingpongClient(options.params) };
  pair.buses.rc.registerClient(clients.rc);
  pair.buses.ep.registerClient(clients.ep);
  return { sim, pair, clients };
}

const only = (c: NtbPingpongClient): NtbPingpong => {
  const pp = [...c.instances.values()][0];
  if (pp === undefined) throw new Error('ntb_pingpong did not bind');
  return pp;
};

const runFor = (sim: Simulation, ns: number): void => {
  sim.run({ until: sim.now + ns });
};

describe('the ping-pong game', () => {
  for (const doorbell of ['legacy', 'per-bit'] as const) {
    it(`${doorbell} doorbells: both counts grow alike, a pong a side every one or two delay_ms, as ntb_test.sh's pingpong_test checks`, () => {
      const r = rig({ doorbell, params: { delayMs: 100 } });
      const rc = only(r.clients.rc);
      const ep = only(r.clients.ep);
      runFor(r.sim, 500_000_000);
      const start = { rc: rc.count, ep: ep.count };
      runFor(r.sim, 7_000_000_000);
      const grew = { rc: rc.count - start.rc, ep: ep.count - start.ep };
      // Each side answers delay_ms after its doorbell (a pong re-arms its timer). Both start on
      // their link events: when one side's first ping reaches the other before that side's timer
      // fires, it restarts that timer and one ball goes back and forth (a pong a side every 2
      // delay_ms, a little more: the EP sees the RC's doorbells at its msecs_to_jiffies(5) poll, 8 ms at HZ 250); otherwise two
      // balls cross (one every delay_ms).
      for (const g of [grew.rc, grew.ep]) {
        expect(g).toBeGreaterThan(7_000 / 215);
        expect(g).toBeLessThanOrEqual(7_000 / 100 + 1);
      }
      expect(Math.abs(grew.rc - grew.ep)).toBeLessThanOrEqual(1);
      expect(rc.peer).toEqual({ pidx: 0, db: 1 });
      expect(ep.peer).toEqual({ pidx: 0, db: 1 });
    });
  }

  it('the count each side writes to the peer\'s scratchpad 0 is its own count at the ping', () => {
    const r = rig({ params: { delayMs: 50 } });
    const rc = only(r.clients.rc);
    const ep = only(r.clients.ep);
    runFor(r.sim, 2_000_000_000);
    const dev = (c: NtbPingpongClient): NtbDevice => only(c).dev;
    // The last value the RC wrote sits in the EP's local scratchpad 0, and the other way round.
    const epSees = dev(r.clients.ep).spadRead(0);
    const rcSees = dev(r.clients.rc).spadRead(0);
    expect(Math.abs(epSees - rc.count)).toBeLessThanOrEqual(1);
    expect(Math.abs(rcSees - ep.count)).toBeLessThanOrEqual(1);
    expect(epSees).toBeGreaterThan(10);
  });

  it('is deterministic: the same seed, the same counts', () => {
    const counts = (): number[] => {
      const r = rig({ seed: 7, params: { delayMs: 20 } });
      runFor(r.sim, 1_000_000_000);
      return [only(r.clients.rc).count, only(r.clients.ep).count];
    };
    const a = counts();
    expect(a[0]).toBeGreaterThan(20);
    expect(counts()).toEqual(a);
  });

  it('the count file writes as an atomic_t: the value cut to an int', () => {
    const r = rig({ params: { delayMs: 50 } });
    const rc = only(r.clients.rc);
    rc.setCount(0);
    expect(rc.count).toBe(0);
    rc.setCount(2 ** 32 + 5);
    expect(rc.count).toBe(5);
    rc.setCount(2 ** 31);
    expect(rc.count).toBe(-(2 ** 31));
  });

  it('remove disables the link and stops the game on both sides; the peer sees its link go down and stops pinging', () => {
    const r = rig({ params: { delayMs: 50 } });
    const rc = only(r.clients.rc);
    const ep = only(r.clients.ep);
    runFor(r.sim, 1_000_000_000);
    let removed = false;
    r.pair.buses.rc.unregisterClient(r.clients.rc);
    rc.whenRemoved(() => (removed = true));
    runFor(r.sim, 100_000_000);
    expect(removed).toBe(true);
    expect(rc.removed).toBe(true);
    const after = { rc: rc.count, ep: ep.count };
    runFor(r.sim, 2_000_000_000);
    expect(rc.count).toBe(after.rc);
    // The EP's last ping may still be taken once.
    expect(ep.count - after.ep).toBeLessThanOrEqual(1);
    expect(r.clients.rc.instances.size).toBe(0);
  });
});

describe('probe (pp_check_ntb, pp_init_flds)', () => {
  it('GENMASK_ULL on 32 doorbell bits', () => {
    expect([genmask(1, 0), genmask(0, 0), genmask(0, 1), genmask(3, 1), genmask(31, 0), genmask(40, 4)]).toEqual([3, 1, 0, 0b1110, 0xffff_ffff, 0xffff_fff0]);
  });

  it('the doorbell bits of the ports: inbound the local port number\'s, outbound the peer\'s; the peer chosen from below or above', () => {
    const same = rig();
    const rc = only(same.clients.rc);
    // Mainline EPF: both ports 0; the peer is "below or equal" (pmask), rung on bit 0.
    expect({ inDb: rc.inDb, pmask: rc.pmask, nmask: rc.nmask }).toEqual({ inDb: 1, pmask: 1, nmask: 0 });
    const distinct = rig({ ports: 'distinct' });
    const ep = only(distinct.clients.ep);
    const rc2 = only(distinct.clients.rc);
    expect([rc2.dev.portNumber(), ep.dev.portNumber()]).toEqual([0, 1]);
    expect({ inDb: rc2.inDb, pmask: rc2.pmask, nmask: rc2.nmask }).toEqual({ inDb: 1, pmask: 0, nmask: 1 });
    expect({ inDb: ep.inDb, pmask: ep.pmask, nmask: ep.nmask }).toEqual({ inDb: 2, pmask: 1, nmask: 0 });
    runFor(distinct.sim, 3_000_000_000);
    expect(rc2.count).toBeGreaterThan(0);
    expect(ep.count).toBeGreaterThan(0);
  });

  it('refuses a device another client holds (ntb_set_ctx: -EINVAL), one with no scratchpads nor messages, and an unsafe doorbell without unsafe=1', () => {
    const r = rig();
    const dev = only(r.clients.rc).dev;
    const other = createNtbPingpongClient();
    expect(other.probe(dev)).toBe(-ERRNO.EINVAL);
    const fake = (over: Partial<NtbDevice>, opsOver: Record<string, unknown> = {}): NtbDevice => Object.assign(Object.create(dev) as NtbDevice, over, { ops: { ...dev.ops, ...opsOver } });
    expect(NtbPingpong.check(fake({ spadCount: () => 0 }), { delayMs: 1, unsafe: 0 })).toEqual({ rc: -ERRNO.EINVAL, log: 'Scratchpads and messages unsupported' });
    expect(NtbPingpong.check(fake({}, { dbValidMask: () => 0b10 }), { delayMs: 1, unsafe: 0 })).toEqual({ rc: -ERRNO.EINVAL, log: 'Unsupported DB configuration' });
    const unsafeDb = fake({}, { dbIsUnsafe: () => true });
    expect(NtbPingpong.check(unsafeDb, { delayMs: 1, unsafe: 0 })).toEqual({ rc: -ERRNO.EINVAL, log: null });
    expect(NtbPingpong.check(unsafeDb, { delayMs: 1, unsafe: 1 })).toEqual({ rc: 0, log: null });
    // A refused probe logs its dev_err line through the client.
    const c = createNtbPingpongClient();
    expect(c.probe(fake({ spadCount: () => 0 }))).toBe(-ERRNO.EINVAL);
    expect(c.log).toHaveLength(1);
    expect(c.log[0]).toMatch(/ntb_hw_epf 0000:01:00\.0: Scratchpads and messages unsupported$/);
    expect(c.instances.size).toBe(0);
  });
});
