/**
 * The ntb_netdev module (src/driver.ts): `modprobe ntb_netdev` registers the client device and
 * driver on the host's ntb_transport bus and probes one ntb0 per transport; `rmmod` (unload) or
 * the bus's driver removal closes the netdev, frees its QPs and unregisters it from the stack.
 */
import { ERRNO, type HrtimerMode } from '@ntbsim/kernel';
import { createNetStack } from '@ntbsim/net-core';
import { TransportBus } from '@ntbsim/ntb-transport';
import { describe, expect, it } from 'vitest';
import { loadNtbNetdev, NtbNetdevError, type NtbNetdev, type NtbNetdevModule, type NtbNetdevOptions, type NtbNetdevVariant, type PayloadMode, type WakeTimerKind } from '../src/index.js';
import { pingOnce, rig, transportPair } from './rig.js';

/** The module's only device (the one on transport 0). */
function only(mod: NtbNetdevModule): NtbNetdev {
  expect([...mod.devices.keys()]).toEqual(['ntb_netdev0']);
  const nd = mod.devices.get('ntb_netdev0');
  if (nd === undefined) throw new Error('ntb_netdev0 was not probed');
  return nd;
}

describe('modprobe ntb_netdev (loadNtbNetdev)', () => {
  it('probes one ntb0 per transport on each host: rc 0, devices keyed by client device, one QP taken, left down', () => {
    const p = transportPair();
    for (const name of ['rc', 'ep'] as const) {
      const stack = createNetStack(p.hosts[name]);
      const bus = p.buses[name];
      expect(bus.transports).toHaveLength(1);
      const transport = bus.transports[0];
      const free = transport?.freeQueueCount ?? 0;
      expect(free).toBe(1);
      const mod = loadNtbNetdev(bus, stack);
      expect(mod.rc).toBe(0);
      expect(mod.driver.name).toBe('ntb_netdev');
      const nd = only(mod);
      expect(nd.transport).toBe(transport);
      expect(nd.ndev.name).toBe('ntb0');
      expect(stack.devices).toEqual([stack.loopback, nd.ndev]);
      expect(stack.device('ntb0')).toBe(nd.ndev);
      expect(nd.queues.map((q) => q.qid)).toEqual([0]);
      expect(transport?.freeQueueCount).toBe(free - 1);
      expect(nd.ndev.isUp).toBe(false);
      expect(nd.ndev.netifCarrierOk()).toBe(false);
      // SET_NETDEV_DEV(ndev, client_dev): the parent is the client device the driver bound to.
      expect(nd.ndev.parent).toEqual({ name: 'ntb_netdev0', bus: 'ntb_transport', driver: 'ntb_netdev' });
    }
  });

  it('takes min(queues, free QPs) at probe, the baseline driver one QP; the name option names the netdev', () => {
    const p = transportPair({ mws: 2, transport: { maxNumClients: 4 } });
    const stack = createNetStack(p.hosts.rc);
    const bus = p.buses.rc;
    const t = bus.transports[0];
    expect(t?.freeQueueCount).toBe(4);
    const cases = [
      { options: { queues: 3 }, queues: 3 },
      { options: { queues: 8, name: 'ntbx' }, queues: 4 },
      { options: { queues: 4, variant: 'baseline' as const }, queues: 1 },
    ];
    for (const c of cases) {
      const mod = loadNtbNetdev(bus, stack, c.options);
      expect(mod.rc).toBe(0);
      const nd = only(mod);
      expect(nd.ndev.name).toBe(c.options.name ?? 'ntb0');
      expect(nd.queues).toHaveLength(c.queues);
      expect(nd.ndev.realNumTxQueues).toBe(c.queues);
      expect(nd.ndev.realNumRxQueues).toBe(c.queues);
      expect(t?.freeQueueCount).toBe(4 - c.queues);
      mod.unload();
      expect(stack.devices).toEqual([stack.loopback]);
      p.sim.run({ until: p.sim.now + 10e6 });
      expect(t?.freeQueueCount).toBe(4);
    }
  });

  it('without a transport on the bus: rc is -ENODEV, nothing is probed, unload() is harmless', () => {
    const p = transportPair();
    const stack = createNetStack(p.hosts.rc);
    const mod = loadNtbNetdev(new TransportBus(), stack);
    expect(mod.rc).toBe(-ERRNO.ENODEV);
    expect(mod.devices.size).toBe(0);
    expect(stack.devices).toEqual([stack.loopback]);
    expect(() => mod.unload()).not.toThrow();
    expect(p.buses.rc.transports[0]?.freeQueueCount).toBe(1);
  });

  it('a second load on the same bus is -EEXIST and changes nothing; its unload leaves the first module alone', () => {
    const p = transportPair({ mws: 2, transport: { maxNumClients: 4 } });
    const stack = createNetStack(p.hosts.rc);
    const bus = p.buses.rc;
    const first = loadNtbNetdev(bus, stack);
    expect(first.rc).toBe(0);
    const nd = only(first);
    const free = bus.transports[0]?.freeQueueCount;
    const second = loadNtbNetdev(bus, stack);
    expect(second.rc).toBe(-ERRNO.EEXIST);
    expect(second.devices.size).toBe(0);
    second.unload();
    expect(only(first)).toBe(nd);
    expect(stack.devices).toEqual([stack.loopback, nd.ndev]);
    expect(bus.transports[0]?.freeQueueCount).toBe(free);
    first.unload();
    expect(stack.devices).toEqual([stack.loopback]);
    expect(bus.transports[0]?.freeQueueCount).toBe(4);
  });

  it('a transport with no free QP fails the probe with -EIO: no netdev registered, the module loaded without devices', () => {
    const p = transportPair();
    const stack = createNetStack(p.hosts.rc);
    const bus = p.buses.rc;
    const t = bus.transports[0];
    const held = t?.createQueue({});
    expect(held).not.toBeNull();
    expect(t?.freeQueueCount).toBe(0);
    const mod = loadNtbNetdev(bus, stack);
    expect(mod.rc).toBe(0);
    expect(mod.devices.size).toBe(0);
    expect(stack.devices).toEqual([stack.loopback]);
    expect(() => stack.device('ntb0')).toThrow(/ENODEV|ntb0/);
    // The driver core's dev_err for the failed probe (call_driver_probe).
    expect(p.hosts.rc.kmsg().at(-1)).toMatch(/\] ntb_netdev ntb_netdev0: probe with driver ntb_netdev failed with error -5$/);
    mod.unload();
    expect(t?.freeQueueCount).toBe(0);
  });

  it('a transport_mtu whose max_size is below ETH_HLEN fails the probe (EINVAL: the kernel\'s unsigned MTU would wrap): the QP is returned, no netdev registered', () => {
    const p = transportPair({ transport: { transportMtu: 25 } });
    const stack = createNetStack(p.hosts.rc);
    const t = p.buses.rc.transports[0];
    const mod = loadNtbNetdev(p.buses.rc, stack);
    expect(mod.rc).toBe(0);
    expect(mod.devices.size).toBe(0);
    expect(stack.devices).toEqual([stack.loopback]);
    expect(t?.freeQueueCount).toBe(1);
  });

  it('an MTU below 68 from the probe leaves ntb0 without IPv4 (NETDEV_REGISTER: inetdev_valid_mtu): ip addr add is ENOBUFS', () => {
    for (const [transportMtu, mtu] of [[26, 0], [93, 67]] as const) {
      const p = transportPair({ transport: { transportMtu } });
      const stack = createNetStack(p.hosts.rc);
      const nd = only(loadNtbNetdev(p.buses.rc, stack));
      expect(nd.ndev.mtu).toBe(mtu);
      expect(() => stack.ipAddrAdd(nd.ndev, '10.0.0.1/24')).toThrow(expect.objectContaining({ code: 'ENOBUFS' }) as Error);
    }
    const p = transportPair({ transport: { transportMtu: 94 } });
    const stack = createNetStack(p.hosts.rc);
    const nd = only(loadNtbNetdev(p.buses.rc, stack));
    expect(nd.ndev.mtu).toBe(68);
    stack.ipAddrAdd(nd.ndev, '10.0.0.1/24');
  });
});

describe('rmmod ntb_netdev (unload) and driver remove', () => {
  it('unload of an up, linked ntb0 unregisters it with its addresses, returns its QP and takes the peer carrier down', () => {
    const r = rig();
    expect(pingOnce(r, r.ep, r.rc)).toBe(100);
    const nd = r.rc.nd;
    const t = nd.transport;
    expect(t.freeQueueCount).toBe(0);
    r.rc.mod.unload();
    expect(r.rc.mod.devices.size).toBe(0);
    expect(nd.ndev.isUp).toBe(false);
    expect(r.rc.stack.devices).toEqual([r.rc.stack.loopback]);
    expect(r.rc.stack.addressesOf(nd.ndev)).toEqual([]);
    expect(() => r.rc.stack.device('ntb0')).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    r.sim.run({ until: r.sim.now + 100e6 });
    expect(t.freeQueueCount).toBe(t.counts.qpCount);
    const peer = r.ep.nd;
    expect(peer.queues[0]?.qp.linkQuery()).toBe(false);
    expect(peer.ndev.netifCarrierOk()).toBe(false);
    expect(peer.ndev.netifTxQueueStopped(0)).toBe(true);
    expect(pingOnce(r, r.ep, r.rc)).toBe(-1);
  });

  it('modprobe after rmmod probes a fresh ntb0 on the freed QP that carries traffic again', () => {
    const r = rig({ arp: 'dynamic' });
    const old = r.rc.nd;
    r.rc.mod.unload();
    r.sim.run({ until: r.sim.now + 100e6 });
    const mod = loadNtbNetdev(r.rc.bus, r.rc.stack);
    expect(mod.rc).toBe(0);
    const nd = only(mod);
    expect(nd).not.toBe(old);
    expect(nd.ndev.name).toBe('ntb0');
    expect(nd.transport.freeQueueCount).toBe(0);
    r.rc.stack.ipAddrAdd(nd.ndev, `${r.rc.ip}/24`);
    nd.ndev.open();
    r.sim.run({ until: r.sim.now + 100e6 });
    expect(nd.ndev.netifCarrierOk() && r.ep.nd.ndev.netifCarrierOk()).toBe(true);
    expect(pingOnce(r, r.ep, r.rc)).toBe(100);
    // The new ntb0 has a new MAC: the EP forgot the old one with its carrier and asks again (ARP request in, reply out), then the echo.
    expect(nd.queues[0]?.stats).toMatchObject({ rxPackets: 2, txPackets: 2 });
  });

  it('the bus removing the driver (unregisterClient) tears ntb0 down; registering it again re-probes; twice is EEXIST and changes nothing', () => {
    const r = rig();
    const { bus, mod, stack } = r.rc;
    const t = r.rc.nd.transport;
    bus.unregisterClient(mod.driver);
    expect(mod.devices.size).toBe(0);
    expect(stack.devices).toEqual([stack.loopback]);
    r.sim.run({ until: r.sim.now + 100e6 });
    expect(t.freeQueueCount).toBe(1);
    expect(bus.registerClient(mod.driver)).toBe(0);
    const nd = only(mod);
    expect(nd).not.toBe(r.rc.nd);
    expect(stack.devices).toEqual([stack.loopback, nd.ndev]);
    expect(t.freeQueueCount).toBe(0);
    expect(() => bus.registerClient(mod.driver)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(only(mod)).toBe(nd);
    expect(stack.devices).toEqual([stack.loopback, nd.ndev]);
    expect(t.freeQueueCount).toBe(0);
  });
});

describe('options and atomic loads', () => {
  it('a bad option throws EINVAL naming it and what is allowed, before anything is registered', () => {
    const p = transportPair();
    const stack = createNetStack(p.hosts.rc);
    const bus = p.buses.rc;
    const bad: [NtbNetdevOptions, RegExp][] = [
      [{ queues: Number.NaN }, /option queues: got NaN, allowed an integer in 1\.\.64/],
      // Not an object literal, so TypeScript's excess-property check does not see the misspelling.
      [JSON.parse('{"queue": 2}') as NtbNetdevOptions, /unknown option queue; known: name, variant, queues, wakeTimer, hrtimerNs, hrtimerMode, payload, rxqSize, clientDev/],
      [{ clientDev: 'ntb netdev0' }, /option clientDev: got "ntb netdev0", allowed a device name \(no spaces or \/\)/],
      [{ clientDev: 7 as unknown as string }, /option clientDev: got 7/],
      [{ queues: 1.5 }, /option queues: got 1\.5, allowed an integer in 1\.\.64/],
      [{ queues: 0 }, /option queues: got 0/],
      [{ queues: 65 }, /option queues: got 65/],
      [{ variant: 'foo' as NtbNetdevVariant }, /option variant: got "foo", allowed mq \| baseline/],
      [{ wakeTimer: 'foo' as WakeTimerKind }, /option wakeTimer: got "foo", allowed jiffy \| hrtimer/],
      [{ payload: 'bogus' as PayloadMode }, /option payload: got "bogus", allowed functional \| timing/],
      [{ rxqSize: 0 }, /option rxqSize: got 0, allowed an integer in 1\.\.65535/],
      [{ hrtimerNs: -1 }, /option hrtimerNs: got -1/],
      [{ hrtimerMode: 'pinned' as HrtimerMode }, /option hrtimerMode: got "pinned", allowed soft \| hard/],
    ];
    for (const [options, message] of bad) {
      let err: unknown = null;
      try {
        loadNtbNetdev(bus, stack, options);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NtbNetdevError);
      expect((err as NtbNetdevError).code).toBe('EINVAL');
      expect((err as Error).message).toMatch(message);
      expect(stack.devices).toEqual([stack.loopback]);
      expect(bus.transports[0]?.freeQueueCount).toBe(1);
    }
    // Nothing was left registered: a good load still works.
    const mod = loadNtbNetdev(bus, stack);
    expect(mod.rc).toBe(0);
    expect(only(mod).ndev.name).toBe('ntb0');
  });

  it('a probe that throws (a name the net core refuses) leaves nothing registered: the next load succeeds', () => {
    const p = transportPair();
    const stack = createNetStack(p.hosts.rc);
    const bus = p.buses.rc;
    expect(() => loadNtbNetdev(bus, stack, { name: '' })).toThrow();
    expect(stack.devices).toEqual([stack.loopback]);
    expect(bus.transports[0]?.freeQueueCount).toBe(1);
    const mod = loadNtbNetdev(bus, stack);
    expect(mod.rc).toBe(0);
    expect(only(mod).queues).toHaveLength(1);
  });
});

describe('xmit and RX accounting, mq against v7.0', () => {
  it('backlog drops: mq, like v7.0, counts a dropped frame in rx_errors and rx_dropped (on top of the core rx_dropped) instead of rx_packets', () => {
    const burst = (variant: 'mq' | 'baseline'): { rxPackets: number; rxErrors: number; rxDropped: number; backlogDrops: number } => {
      const r = rig({ netdev: { variant } });
      r.rc.stack.setSysctl('net.core.netdev_max_backlog', 0);
      const s = r.rc.nd.ndev.stats;
      const before = { rxPackets: s.rxPackets, rxErrors: s.rxErrors, rxDropped: s.rxDropped };
      const sock = r.ep.stack.udpSocket();
      r.ep.host.createUserTask('burst', (ctx) => {
        for (let i = 0; i < 8; i++) sock.sendTo(ctx, 1000, { addr: r.rc.ip, port: 9 });
        return 'exit';
      });
      r.sim.run({ until: r.sim.now + 50e6 });
      return { rxPackets: s.rxPackets - before.rxPackets, rxErrors: s.rxErrors - before.rxErrors, rxDropped: s.rxDropped - before.rxDropped, backlogDrops: r.rc.stack.softnetStat().reduce((n, c) => n + c.dropped, 0) };
    };
    for (const variant of ['mq', 'baseline'] as const) {
      const got = burst(variant);
      const k = got.backlogDrops;
      expect({ variant, dropped: k > 0 }).toEqual({ variant, dropped: true });
      expect({ variant, ...got }).toEqual({ variant, rxPackets: 8 - k, rxErrors: k, rxDropped: 2 * k, backlogDrops: k });
    }
  });
});
