/**
 * Known kernel wedges the fuzz suite found, replayed as fixed cases. ntb_transport assumes
 * doorbells are never lost and that a one-sided QP reset leaves no state of the old session
 * behind; when both assumptions break together the QP wedges, in the kernel as in the model.
 */
import { ERRNO } from '@ntbsim/kernel';
import { formatMac } from '@ntbsim/net-core';
import { describe, expect, it } from 'vitest';
import { labCommands } from '../../src/commands.js';
import { runLine } from '../../src/lab/shell.js';
import { awaitReload, injectFault } from '../../src/faults/inject.js';
import { linkInconsistency } from '../../src/faults/scenario.js';
import { lostDoorbellDiagnosis, staleDiagnosis, staleNeighDiagnosis } from '../../src/lab/diagnose.js';
import { datagramTotals, startDatagrams, startStream } from '../../src/faults/traffic.js';
import { ip } from '../../src/tools/system.js';
import { bootLab, type Lab } from '../../src/lab/lab.js';

describe('known kernel wedges', () => {
  it('a netdev reset on the RC whose LINK_DOWN doorbell is lost: the old session rewrites the RC rx_info, ntb0 TX stays stopped', () => {
    const lab = bootLab({ seed: 2, payload: 'functional', params: { transport: { useDma: true }, netdev: {} } });
    const st = startStream(lab, { from: 'ep', bytes: 600_000 });
    lab.sim.run({ until: lab.sim.now + 8e6 });
    expect(injectFault(lab, { kind: 'reset', board: 'rc' })).toBe(0);
    expect(injectFault(lab, { kind: 'drop-doorbells', count: 2 })).toBe(0);
    lab.sim.run({ until: lab.sim.now + 3e9 });

    expect(st.firstBadOffset).toBe(-1);
    expect(st.error).toBeNull();
    expect(st.received).toBeLessThan(600_000);
    expect(linkInconsistency(lab)).toBeNull();
    const rc = lab.boards.rc.netdev();
    expect(rc?.ndev.netifTxQueueStopped(0)).toBe(true);
    expect(rc?.queues[0]?.stats.txTimerExpiries).toBeGreaterThan(100);
    expect(staleDiagnosis(lab)).toMatch(/^; qp0: rc sees free tx \d+ although only 1 of the 1 frame\(s\) it sent since the QP reset are unconsumed \(expected 13 free\): a completion of the previous QP session rewrote its rx_info after the reset$/);
  });

  /** MTU 1500 → 65510 on both boards `changeAfterMs` into a UDP flood from the EP; then 100 datagrams more, and what arrived of them. */
  const mtuChangeUnderFlood = (seed: number, changeAfterMs: number): { lab: Lab; laterReceived: number } => {
    const lab = bootLab({ seed, payload: 'functional', params: { transport: { useDma: true }, netdev: {} } });
    const env = (b: 'rc' | 'ep') => ({ lab, board: lab.boards[b], vars: new Map<string, string>() });
    for (const b of ['rc', 'ep'] as const) expect(ip(['ip', 'link', 'set', 'ntb0', 'mtu', '1500'], env(b)).status).toBe(0);
    lab.sim.run({ until: lab.sim.now + 50e6 });
    // Permanent neighbours (ip neigh replace … nud permanent): the flood starts at once, and a
    // wedged ring does not stop the sender at ARP (its data keeps coming, up to the wrap).
    const mac = (b: 'rc' | 'ep'): string => formatMac(lab.boards[b].netdev()?.ndev.devAddr ?? new Uint8Array(6));
    expect(runLine(`ip neigh replace 10.0.0.1 lladdr ${mac('rc')} dev ntb0 nud permanent`, env('ep'), labCommands()).status).toBe(0);
    expect(runLine(`ip neigh replace 10.0.0.2 lladdr ${mac('ep')} dev ntb0 nud permanent`, env('rc'), labCommands()).status).toBe(0);
    startDatagrams(lab, { from: 'ep', flows: 1, datagrams: 3000, size: 1400, port: 6000 });
    lab.sim.run({ until: lab.sim.now + changeAfterMs * 1e6 });
    for (const b of ['rc', 'ep'] as const) expect(ip(['ip', 'link', 'set', 'ntb0', 'mtu', '65510'], env(b)).status).toBe(0);
    lab.sim.run({ until: lab.sim.now + 2e9 });
    const later = startDatagrams(lab, { from: 'ep', flows: 1, datagrams: 100, size: 1000, port: 6100, intervalNs: 1_000_000 });
    lab.sim.run({ until: lab.sim.now + 1e9 });
    return { lab, laterReceived: datagramTotals(later).received };
  };

  it('MTU 1500 → 65510 on both boards under a UDP flood: stale descriptors wedge the ring, and the diagnosis names them even when the sender wrapped to the receiver\'s index', () => {
    // Seed 5: ep writes 15 frames after its QP reset (once round the 15-slot ring) and rc takes
    // none of them after its own, so ep's tx_index stands at rc's rx_index again.
    const { lab, laterReceived } = mtuChangeUnderFlood(5, 3);
    expect(laterReceived).toBeLessThan(100);
    const [s, r] = [lab.boards.ep.transport()?.qps[0], lab.boards.rc.transport()?.qps[0]];
    expect(s?.txIndex).toBe(r?.rxIndex);
    expect(staleDiagnosis(lab)).toMatch(/^; qp0: ep has written \d+ frame\(s\) since its QP reset, up to slot \d+, rc has taken \d+ since its own and waits at slot \d+: the two ends' ring indices diverged/);
  });

  it('MTU 1500 → 65510 under a UDP flood, the sender past a full ring: it wrote over frames the receiver had not read, which refuses the next one (rx_err_ver), and the diagnosis says so, not a lost doorbell', () => {
    const { lab, laterReceived } = mtuChangeUnderFlood(1, 4);
    expect(laterReceived).toBe(0);
    const [s, r] = [lab.boards.ep.transport()?.qps[0], lab.boards.rc.transport()?.qps[0]];
    expect(s?.stats.txPkts).toBeGreaterThan((r?.txRing.maxEntry ?? 0));
    expect(r?.stats.rxPkts).toBe(0);
    expect(r?.stats.rxErrVer).toBeGreaterThan(0);
    expect(lostDoorbellDiagnosis(lab)).toBe('');
    expect(staleDiagnosis(lab)).toMatch(/^; qp0: ep has written 1[6-9] frame\(s\) since its QP reset, up to slot \d+, though rc has taken 0 since its own: its rx_info \(all free at its reset, then rewritten by the previous session's completions\) let it write over frames rc had not read; rc waits at slot 0 for ver 0, finds ver [1-9]\d* and refuses it at each doorbell \(rx_err_ver [1-9]\d*\)$/);
  });

  it('clear_rx_ring_on_qp_link clears only after its own client\'s link down: a peer up again on the stale QP_LINKS bit keeps its new-session frames (a netdev reset on the RC 30 ms into a stream)', () => {
    for (const clear of [false, true]) {
      const lab = bootLab({ seed: 16, payload: 'functional', params: { transport: { clearRxRingOnQpLink: clear }, netdev: {} } });
      const st = startStream(lab, { from: 'ep', bytes: 400_000 });
      lab.sim.run({ until: lab.sim.now + 30e6 });
      expect(injectFault(lab, { kind: 'reset', board: 'rc' })).toBe(0);
      lab.sim.run({ until: lab.sim.now + 10e9 });
      expect({ clear, received: st.received, bad: st.firstBadOffset, why: staleDiagnosis(lab) }).toEqual({ clear, received: 400_000, bad: -1, why: '' });
    }
  });
});

describe('a reloaded peer behind an unnoticed link loss', () => {
  it("the host's modules reload as the EP misses a link loss, the EP's connection still opening: the EP's ARP entry keeps the host's old random MAC, the host (only listening, so never asking ARP itself) drops the SYNs sent to it, until the entry goes stale and ARP asks again", () => {
    const lab = bootLab({ seed: 1, payload: 'functional', params: { transport: { useDma: true }, netdev: {} } });
    const rcMac = formatMac(lab.boards.rc.netdev()?.ndev.devAddr ?? new Uint8Array(6));
    const st = startStream(lab, { from: 'ep', bytes: 600_000 });
    lab.sim.run({ until: lab.sim.now + 1e6 });
    expect(injectFault(lab, { kind: 'reload', board: 'rc' })).toBe(0);
    expect(injectFault(lab, { kind: 'link', up: false, silent: true })).toBe(0);
    // ntb_transport's probe finds the link down (-ENODEV); the operator loads it again once the link is back.
    expect(awaitReload(lab, 'rc')).toBe(-ERRNO.ENODEV);
    lab.sim.run({ until: lab.sim.now + 5e6 });
    expect(injectFault(lab, { kind: 'link', up: true })).toBe(0);
    lab.sim.run({ until: lab.sim.now + 1500e6 });
    expect(injectFault(lab, { kind: 'reload', board: 'rc' })).toBe(0);
    expect(awaitReload(lab, 'rc')).toBe(0);
    lab.sim.run({ until: lab.sim.now + 6e9 });
    const rc = lab.boards.rc.netdev()?.ndev;
    const newMac = formatMac(rc?.devAddr ?? new Uint8Array(6));
    expect(newMac).not.toBe(rcMac);
    expect(st.received).toBeLessThan(600_000);
    expect(lab.boards.ep.netdev()?.ndev.netifCarrierOk()).toBe(true);
    expect(rc?.stats.rxOtherhostDropped).toBeGreaterThan(0);
    expect(staleNeighDiagnosis(lab)).toMatch(new RegExp(`^; ep's ARP entry for 10\\.0\\.0\\.1 \\((REACHABLE|STALE|DELAY|PROBE)\\) holds ${rcMac}, but rc's ntb0 is ${newMac} since its driver's reload; rc drops what comes to the old address \\(rx_otherhost_dropped [1-9]\\d*\\)$`));
    // The entry ages out (base_reachable_time 30 s, ×0.5–1.5), ARP resolves the new address and the stream finishes.
    lab.sim.run({ until: lab.sim.now + 90e9 });
    expect(staleNeighDiagnosis(lab)).toBe('');
    expect(st.error).toBeNull();
    expect(st.received).toBe(600_000);
    expect(st.firstBadOffset).toBe(-1);
  });
});
