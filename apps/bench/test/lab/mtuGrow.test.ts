/**
 * An MTU increase on the receiver while an RX DMA copy is in flight: the kernel's rx_handler
 * posts a fresh skb of the new MTU + ETH_HLEN when that copy completes, so every later frame up
 * to the new MTU fits. (The model used to re-post the old, smaller buffer, losing one frame per
 * pass of it through the ring as rx_length_errors.)
 */
import { describe, expect, it } from 'vitest';
import { labCommands } from '../../src/commands.js';
import { datagramTotals, startDatagrams } from '../../src/faults/traffic.js';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { runLine } from '../../src/lab/shell.js';

const commands = labCommands({});
const sh = (lab: Lab, line: string) => runLine(line, { lab, board: lab.boards.rc, vars: new Map() }, commands);

describe('MTU increase with an RX DMA copy in flight', () => {
  it('every later frame up to the new MTU arrives whole: nothing lost, no rx_length_errors', () => {
    const lab = bootLab({ seed: 1, payload: 'functional', params: { transport: { useDma: true }, netdev: {} } });
    for (const l of ['ip link set ntb0 down', 'ip link set ntb0 mtu 1500', 'ip link set ntb0 up']) expect(sh(lab, l).status).toBe(0);
    lab.sim.run({ until: lab.sim.now + 500e6 });
    // The boards know each other (ARP) before the flood, so it starts at once.
    expect(sh(lab, 'ping -c 1 -q 10.0.0.2').status).toBe(0);
    startDatagrams(lab, { from: 'ep', flows: 1, datagrams: 400, size: 1400, port: 6000, intervalNs: 20_000 });
    const dma = lab.pair.dma.rc.stats;
    // 2 ms in, an RX copy is in flight. (At the first instant one is, the change_mtu's QP link
    // down/up meets the stale-descriptor weakness instead: see the qp-link faults.)
    lab.sim.run({ until: lab.sim.now + 2e6 });
    expect(dma.submitted - dma.completed - dma.failed - dma.terminated).toBeGreaterThan(0);
    expect(sh(lab, 'ip link set ntb0 mtu 65510').status).toBe(0);
    // The change's QP link reset took both carriers down: the EP's ARP entry for the RC, made
    // while they were, resolves at its next probe, a second later (retrans_time).
    lab.sim.run({ until: lab.sim.now + 1300e6 });
    const big = startDatagrams(lab, { from: 'ep', flows: 1, datagrams: 250, size: 30_000, port: 6100, intervalNs: 2_000_000 });
    lab.sim.run({ until: lab.sim.now + 1500e6 });
    expect(datagramTotals(big)).toEqual({ sent: 250, received: 250, lost: 0, duplicates: 0, corrupt: 0, reordered: 0 });
    expect(lab.boards.rc.netdev()?.ndev.stats.rxLengthErrors).toBe(0);
  });
});
