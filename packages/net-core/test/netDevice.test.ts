import { describe, expect, it } from 'vitest';
import { NetError } from '../src/index.js';
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
