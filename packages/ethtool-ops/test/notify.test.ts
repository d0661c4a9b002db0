import { describe, expect, it } from 'vitest';
import { createEthtoolNotifier, type EthtoolNotification } from '../src/index.js';

const ntf: EthtoolNotification = { cmd: 'CHANNELS_NTF', devName: 'ntb0', channels: { combined: { max: 4, count: 2 } } };

describe('createEthtoolNotifier (the ethtool monitor multicast group)', () => {
  it('delivers to every listener in subscription order, even one that leaves while being called', () => {
    const n = createEthtoolNotifier();
    const order: string[] = [];
    const leaveA = n.subscribe(() => {
      order.push('a');
      leaveA();
    });
    n.subscribe(() => order.push('b'));
    n.subscribe(() => order.push('b'));
    n.publish(ntf);
    n.publish(ntf);
    expect(order).toEqual(['a', 'b', 'b', 'b', 'b']);
    expect(n.hasListeners()).toBe(true);
  });

  it('has no listeners until someone subscribes, and a double leave is harmless', () => {
    const n = createEthtoolNotifier();
    expect(n.hasListeners()).toBe(false);
    const leave = n.subscribe(() => undefined);
    leave();
    leave();
    expect(n.hasListeners()).toBe(false);
  });
});
