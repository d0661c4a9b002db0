import { describe, expect, it } from 'vitest';
import { createNetDevice, GSO_LEGACY_MAX_SIZE, GSO_MAX_SIZE, NetError } from '../src/index.js';
import { makeLab } from './helpers.js';

describe('NetDevice', () => {
  it('validates MTU changes against its range and notifies link changes', () => {
    const lab = makeLab({ veth: { mtu: 1500, maxMtu: 9000 } });
    const dev = lab.veth.a.dev;
    expect(() => dev.setMtu(9001)).toThrow(NetError);
    dev.setMtu(9000);
    expect(dev.mtu).toBe(9000);
    const events: boolean[] = [];
    const off = dev.onLinkChange((e) => events.push(e.carrier));
    lab.veth.b.dev.close();
    lab.veth.b.dev.open();
    off();
    lab.veth.b.dev.close();
    expect(events).toEqual([false, true]);
  });

  it('counts carrier transitions as the kernel does: up and down counts, their sum carrier_changes; repeats do not count', () => {
    const lab = makeLab();
    const dev = lab.veth.a.dev;
    const c0 = dev.carrierCounts;
    dev.netifCarrierOff();
    dev.netifCarrierOff();
    dev.netifCarrierOn();
    dev.netifCarrierOn();
    dev.netifCarrierOff();
    const c1 = dev.carrierCounts;
    expect(lab.veth.a.dev.netifCarrierOk()).toBe(false);
    // off (counted), off (repeat), on (counted), on (repeat), off (counted)
    expect({ up: c1.up - c0.up, down: c1.down - c0.down, changes: c1.changes - c0.changes }).toEqual({ up: 1, down: 2, changes: 3 });
    expect(c1.changes).toBe(c1.up + c1.down);
  });

  it('a new device counts its first netif_carrier_off (the kernel allocates it with the carrier on)', async () => {
    const { createNetDevice, createNetStack } = await import('../src/index.js');
    const { createHost, createSimulation, getProfile } = await import('@ntbsim/kernel');
    const host = createHost(createSimulation(), { name: 'h', profile: getProfile('rcar-s4') });
    const ops = { open: () => 0, stop: () => undefined, startXmit: () => 'ok' as const, changeMtu: () => 0 };
    const dev = createNetDevice(createNetStack(host), { name: 'x0', ops });
    expect(dev.carrierCounts).toEqual({ up: 0, down: 0, changes: 0 });
    dev.netifCarrierOff();
    dev.netifCarrierOn();
    expect(dev.carrierCounts).toEqual({ up: 1, down: 1, changes: 2 });
  });

  it('purges queues beyond a reduced real_num_tx_queues and clears their XPS maps', () => {
    const lab = makeLab({ veth: { numQueues: 4 } });
    const dev = lab.veth.a.dev;
    dev.setXpsCpus(3, 0b1);
    dev.netifSetRealNumTxQueues(2);
    expect(dev.realNumTxQueues).toBe(2);
    expect(dev.txQueue(3).xpsCpus).toBe(0);
    expect(() => dev.netifSetRealNumTxQueues(5)).toThrow(/real_num_tx_queues/);
  });
});

describe('NetDevice promiscuity (dev_set_promiscuity) and the attributes rtnetlink reports', () => {
  it('counts users; IFF_PROMISC follows the count and each change of it is logged with the parent driver and name', () => {
    const lab = makeLab();
    const dev = createNetDevice(lab.sa, { name: 'ntb7', ops: { open: () => 0, stop: () => undefined, startXmit: () => 'ok' }, parent: { name: 'ntb_netdev0', bus: 'ntb_transport', driver: 'ntb_netdev' } });
    const before = lab.a.kmsg().length;
    expect(dev.promiscuity).toBe(0);
    expect([dev.setPromiscuity(1), dev.setPromiscuity(1), dev.promiscuity]).toEqual([0, 0, 2]);
    expect([dev.setPromiscuity(-1), dev.setPromiscuity(-1), dev.promiscuity]).toEqual([0, 0, 0]);
    // Only the 0 → 1 and 1 → 0 transitions change the flag, so two lines for four calls.
    expect(lab.a.kmsg().slice(before).map((l) => l.replace(/^\[[ \d.]+\] /, ''))).toEqual(['ntb_netdev ntb_netdev0 ntb7: entered promiscuous mode', 'ntb_netdev ntb_netdev0 ntb7: left promiscuous mode']);
    // A device without a parent (lo) is named alone, as netdev_printk does.
    const lo = lab.sa.loopback;
    expect(lo.parent).toBeNull();
    expect(lo.setPromiscuity(1)).toBe(0);
    expect(lab.a.kmsg().at(-1)).toMatch(/\] lo: entered promiscuous mode$/);
    expect(() => dev.setPromiscuity(0.5)).toThrow(NetError);
  });

  it('the user\'s promisc flag (__dev_change_flags) holds one reference: a second on or an off while off changes nothing', () => {
    const lab = makeLab();
    const dev = lab.veth.a.dev;
    expect([dev.setPromiscFlag(true), dev.setPromiscFlag(true), dev.promiscFlag, dev.promiscuity]).toEqual([0, 0, true, 1]);
    expect(dev.setPromiscuity(1)).toBe(0);
    expect([dev.setPromiscFlag(false), dev.setPromiscFlag(false), dev.promiscFlag, dev.promiscuity]).toEqual([0, 0, false, 1]);
  });

  it('an increment that would wrap the unsigned count to 0 is -EOVERFLOW with the kernel warning, the count unchanged', () => {
    const lab = makeLab();
    const dev = lab.veth.a.dev;
    expect(dev.setPromiscuity(0xffffffff)).toBe(0);
    expect(dev.setPromiscuity(1)).toBe(-75);
    expect(dev.promiscuity).toBe(0xffffffff);
    expect(lab.a.kmsg().at(-1)).toMatch(/: promiscuity touches roof, set promiscuity failed\. promiscuity feature of device might be broken\.$/);
  });

  it('lo: no max_mtu (0: any MTU up to INT_MAX, set by the core as lo has no ndo_change_mtu), tso_max_size GSO_MAX_SIZE; others the legacy limits', () => {
    const lab = makeLab();
    const lo = lab.sa.loopback;
    expect([lo.minMtu, lo.maxMtu, lo.tsoMaxSize, lo.gsoMaxSize, lo.gsoMaxSegs, lo.tsoMaxSegs, lo.groMaxSize]).toEqual([0, 0, GSO_MAX_SIZE, 65536, 65535, 65535, 65536]);
    expect(GSO_MAX_SIZE).toBe(524280);
    lo.setMtu(0x7fffffff);
    expect(lo.mtu).toBe(0x7fffffff);
    expect(() => lo.setMtu(0x80000000)).toThrow(NetError);
    lo.setMtu(1500);
    expect(lo.mtu).toBe(1500);
    const dev = lab.veth.a.dev;
    expect([dev.tsoMaxSize, dev.parent]).toEqual([GSO_LEGACY_MAX_SIZE, null]);
    expect(() => createNetDevice(lab.sa, { name: 'x0', ops: { open: () => 0, stop: () => undefined, startXmit: () => 'ok' }, tsoMaxSize: GSO_MAX_SIZE + 1 })).toThrow(NetError);
  });
});
