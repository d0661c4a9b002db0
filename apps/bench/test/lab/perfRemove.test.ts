/**
 * `rmmod ntb_perf` in the lab returns when perf_remove has: after it cleared its peers and
 * disabled the link, also when a command send is still in its retries (MSG_TRIES × 2 s) and
 * perf_remove's flush must wait for it.
 */
import { describe, expect, it } from 'vitest';
import { bootLab } from '../../src/lab/lab.js';
import { sh } from '../labShell.js';


describe('rmmod ntb_perf', () => {
  it('returns only once perf_remove has, on a bound instance and right after the peer loaded (its handshake in flight)', () => {
    for (const settle of [1, 0]) {
      const l = bootLab({ seed: 4 });
      for (const b of ['ep', 'rc'] as const) expect(sh(l, b, 'rmmod ntb_netdev ntb_transport').status).toBe(0);
      expect(sh(l, 'rc', 'modprobe ntb_perf total_order=20').status).toBe(0);
      expect(sh(l, 'ep', 'modprobe ntb_perf total_order=20').status).toBe(0);
      if (settle > 0) sh(l, 'ep', `sleep ${settle}`);
      const perf = l.boards.rc.perf();
      expect(perf).not.toBeNull();
      let removedAt = -1;
      perf?.whenRemoved(() => (removedAt = l.sim.now));
      expect(sh(l, 'rc', 'rmmod ntb_perf')).toEqual({ stdout: '', stderr: '', status: 0 });
      expect({ settle, removing: perf?.removing, removed: removedAt >= 0 && removedAt <= l.sim.now }).toEqual({ settle, removing: false, removed: true });
      expect(sh(l, 'rc', 'modprobe ntb_perf total_order=20').status).toBe(0);
    }
  });
});
