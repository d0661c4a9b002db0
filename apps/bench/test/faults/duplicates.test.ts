/**
 * The frame-level duplicate check of the fault matrix (watchDuplicates): a tap on each stack
 * counts IP datagrams taken twice, which TCP would silently discard as old data.
 */
import { skbToFrame } from '@ntbsim/net-core';
import { describe, expect, it } from 'vitest';
import { DUP_WINDOW, watchDuplicates } from '../../src/faults/scenario.js';
import { bootLab } from '../../src/lab/lab.js';
import { sh as labSh } from '../labShell.js';

describe('watchDuplicates', () => {
  it('counts nothing for ordinary traffic, and a frame the RC ntb0 delivers a second time once, naming it', () => {
    const lab = bootLab({ seed: 3, payload: 'functional' });
    const watch = watchDuplicates(lab);
    let frame: Uint8Array | null = null;
    // The first echo request (the ARP request before it is not an IP datagram: the watch skips it).
    const untap = lab.boards.rc.stack.addPacketTap((skb) => {
      if (skb.l4.kind !== 'arp') frame ??= skbToFrame(skb).slice();
    });
    const out = labSh(lab, 'ep', 'ping -c 3 -i 0.2 10.0.0.1');
    expect(out.status).toBe(0);
    untap();
    expect(watch.count).toEqual({ rc: 0, ep: 0 });
    const nd = lab.boards.rc.netdev();
    const q = nd?.queues[0];
    const f = frame as Uint8Array | null;
    if (nd === null || q === undefined || f === null) throw new Error('no RC ntb0 or no frame captured');
    // The first echo request again, as a stale ring slot would hand it to ntb_netdev.
    lab.boards.rc.host.createKthread('again', (ctx) => {
      nd.rxHandler(q, f.slice(), f.length, ctx);
      return 'exit';
    });
    lab.sim.run({ until: lab.sim.now + 10e6 });
    expect(watch.count).toEqual({ rc: 1, ep: 0 });
    expect(watch.first.rc).toMatch(/^source 10\.0\.0\.2 id \d+, offset 0$/);
    watch.remove();
    expect(DUP_WINDOW).toBeLessThan(1 << 16);
  });
});
