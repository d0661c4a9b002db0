/**
 * Known kernel wedges the fuzz suite found, replayed as fixed cases. ntb_transport assumes
 * doorbells are never lost and that a one-sided QP reset leaves no state of the old session
 * behind; when both assumptions break together the QP wedges, in the kernel as in the model.
 */
import { describe, expect, it } from 'vitest';
import { injectFault } from '../../src/faults/inject.js';
import { linkInconsistency } from '../../src/faults/scenario.js';
import { staleDiagnosis } from '../../src/lab/diagnose.js';
import { startStream } from '../../src/faults/traffic.js';
import { bootLab } from '../../src/lab/lab.js';

describe('known kernel wedges', () => {
  it('a netdev reset on the RC whose LINK_DOWN doorbell is lost: the old session rewrites the RC rx_info, ntb0 TX stays stopped', () => {
    const lab = bootLab({ seed: 1, payload: 'functional', params: { transport: { useDma: true }, netdev: {} } });
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
    expect(rc?.queues[0]?.stats.txTimerWakes).toBeGreaterThan(100);
    expect(staleDiagnosis(lab)).toMatch(/^; qp0: rc sees free tx \d+ although only 1 of the 1 frame\(s\) it sent since the QP reset are unconsumed \(expected 13 free\): a completion of the previous QP session rewrote its rx_info after the reset$/);
  });
});
