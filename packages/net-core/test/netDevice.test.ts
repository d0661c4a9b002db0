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
