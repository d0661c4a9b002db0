import { createHost, createSimulation, getProfile, type TaskStep } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { createEpfPair } from '../src/index.js';

/** A busy scenario on the noisy rcar-s4 profile; returns a trace of everything observable. */
function scenario(seed: number): string[] {
  const sim = createSimulation({ seed });
  const profile = getProfile('rcar-s4');
  const rc = createHost(sim, { name: 'rc', profile });
  const ep = createHost(sim, { name: 'ep', profile });
  const pair = createEpfPair({ rc, ep, doorbell: { rc: 'per-bit', ep: 'per-bit' }, wcLingerNs: 3_000 });
  const trace: string[] = [];
  pair.fabric.onLand((e) => trace.push(`land ${e.dir} ${e.kind} ${e.len} ${e.issue} ${e.arrival}`));
  pair.ep.setCtx({ dbEvent: (v, ctx) => trace.push(`ep db ${v} ${ctx.time} cpu${ctx.cpu.id}`), linkEvent: () => trace.push(`ep link ${sim.now}`) });
  pair.whenProbed((s) => {
    trace.push(`probed ${s.rc} ${s.at}`);
    pair.rc.setCtx({ dbEvent: (v, ctx) => trace.push(`rc db ${v} ${ctx.time} cpu${ctx.cpu.id}`) });
    pair.rc.ops.linkEnable('auto', 'auto', (r) => {
      trace.push(`link ${r} ${sim.now}`);
      const rcBuf = pair.rc.ops.allocCoherent(1 << 20, 4096);
      const epBuf = pair.ep.ops.allocCoherent(1 << 20, 4096);
      if (rcBuf === null || epBuf === null) return;
      pair.rc.mwSetTrans({ pidx: 0, widx: 0, addr: rcBuf.dmaAddr, size: 1 << 20 }, () => undefined);
      pair.ep.mwSetTrans({ pidx: 0, widx: 0, addr: epBuf.dmaAddr, size: 1 << 20 }, () => undefined);
      for (const [host, dev] of [
        [rc, pair.rc],
        [ep, pair.ep],
      ] as const) {
        let n = 0;
        const w = dev.ops.peerMwIoremap(0);
        const chan = dev.ops.requestDmaChannel?.() ?? null;
        host.createKthread('tx', (ctx): TaskStep => {
          if (n++ >= 40 || w === null) return 'exit';
          w.memcpyToio(ctx, (n % 8) * 65536, null, 16384);
          w.iowrite32(ctx, 1 << 19, n);
          w.barrier(ctx);
          w.ioread32(ctx, 1 << 19);
          dev.ops.peerDbSet(1 << (n % 3), ctx);
          chan?.copyToPeer(ctx, { dst: w, offset: 1 << 19, data: null, len: 8192 }, (ok, c) => trace.push(`${host.name} dma ${ok} ${c.time}`));
          return 200_000;
        });
      }
    });
  });
  sim.run({ until: 100_000_000 });
  trace.push(`events ${sim.eventsRun}`);
  return trace;
}

describe('determinism', () => {
  it('the same seed gives the same run, event for event; another seed does not', () => {
    const a = scenario(42);
    const b = scenario(42);
    expect(a.length).toBeGreaterThan(200);
    expect(b).toEqual(a);
    expect(a.some((l) => l.startsWith('rc db'))).toBe(true);
    expect(a.some((l) => l.startsWith('ep db'))).toBe(true);
    expect(a.some((l) => l.startsWith('rc dma true'))).toBe(true);
    expect(scenario(43)).not.toEqual(a);
  });
});
