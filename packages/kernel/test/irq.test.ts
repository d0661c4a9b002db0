import { describe, expect, it } from 'vitest';
import { KernelError } from '../src/index.js';
import { quietHost } from './helpers.js';

describe('IrqVector', () => {
  it('delivers to the lowest CPU of its affinity mask and counts per CPU', () => {
    const { sim, host } = quietHost();
    const seen: number[] = [];
    const irq = host.requestIrq('ntb-db0', (ctx) => seen.push(ctx.cpu.id));
    irq.raise();
    sim.run();
    irq.setAffinity(0b1100);
    irq.raise();
    sim.run();
    irq.setAffinity(0x8);
    irq.raise();
    sim.run();
    expect(seen).toEqual([0, 2, 3]);
    expect(irq.counts).toEqual([1, 0, 1, 1]);
    expect(host.cpu(0).usage().hardirq).toBe(1000);
  });

  it('rejects a mask with no online CPU and keeps the old one', () => {
    const { host } = quietHost({ cpus: 4 });
    const irq = host.requestIrq('x', () => undefined, { affinity: 0b10 });
    expect(() => irq.setAffinity(0b110000)).toThrow(KernelError);
    expect(() => irq.setAffinity(0)).toThrow(/has no online CPU \(online mask 0xf\)/);
    expect(irq.affinity).toBe(0b10);
    expect(irq.target.id).toBe(1);
  });

  it('coalesces a raise while the interrupt is pending, but not once the handler has started', () => {
    const { sim, host } = quietHost();
    let handled = 0;
    const irq = host.requestIrq('x', (ctx) => {
      handled++;
      ctx.charge(1000);
    });
    irq.raise();
    irq.raise();
    expect(irq.coalesced).toBe(1);
    sim.run({ until: 500 });
    irq.raise();
    sim.run();
    expect(handled).toBe(2);
    expect(irq.counts[0]).toBe(2);
  });

  it('starts a vector requested later on the default affinity (irq_default_affinity); the ones already there keep theirs', () => {
    const { host } = quietHost({ cpus: 4 });
    const before = host.requestIrq('a', () => undefined);
    expect(host.irqDefaultAffinity).toBe(0xf);
    host.setIrqDefaultAffinity(0b1100);
    const after = host.requestIrq('b', () => undefined);
    expect([before.affinity, after.affinity, after.target.id]).toEqual([0xf, 0b1100, 2]);
    expect(host.requestIrq('c', () => undefined, { affinity: 0b1 }).affinity).toBe(1);
    expect(() => host.setIrqDefaultAffinity(0b110000)).toThrow(/irq default_smp_affinity: mask 48 has no online CPU/);
    expect(host.irqDefaultAffinity).toBe(0b1100);
  });

  it('numbers vectors in order and frees them', () => {
    const { host } = quietHost();
    const a = host.requestIrq('a', () => undefined);
    const b = host.requestIrq('b', () => undefined);
    expect(b.num).toBe(a.num + 1);
    host.freeIrq(a);
    expect([...host.irqs.keys()]).toEqual([b.num]);
  });
});

describe('callFunctionSingle (smp_call_function_single_async)', () => {
  it('runs the functions on the target CPU in hardirq context, in order, after one IPI and one interrupt entry for all queued before it ran', () => {
    const { sim, host } = quietHost();
    const log: string[] = [];
    const rec = (tag: string) => (ctx: { cpu: { id: number }; kind: string; charge: (ns: number) => void }) => {
      log.push(`${tag}@cpu${ctx.cpu.id}:${ctx.kind}`);
      ctx.charge(300);
    };
    host.createKthread('sender', (ctx) => {
      host.callFunctionSingle(ctx, host.cpu(2), rec('a'));
      host.callFunctionSingle(ctx, host.cpu(2), rec('b'));
      host.callFunctionSingle(ctx, ctx.cpu, rec('self'));
      return 'exit';
    }, { cpus: 0b1 });
    sim.run();
    expect(log).toEqual(['self@cpu0:kthread', 'a@cpu2:hardirq', 'b@cpu2:hardirq']);
    expect(host.cpus.map((c) => c.ipis['call-function'])).toEqual([0, 0, 1, 0]);
    // One entry/exit (1 µs in the quiet profile) and the two functions on CPU 2; the SGI write on the sender.
    expect(host.cpu(2).usage().hardirq).toBe(1_000 + 600);
    expect(host.cpu(0).usage().kthread).toBe(300 + host.costs.mmioWrite());
  });

  it('a function queued after the IPI was handled sends another', () => {
    const { sim, host } = quietHost();
    let runs = 0;
    const k = host.createKthread('sender', (ctx) => {
      host.callFunctionSingle(ctx, host.cpu(3), () => runs++);
      return 'sleep';
    }, { cpus: 0b1 });
    sim.run();
    k.wake();
    sim.run();
    expect(runs).toBe(2);
    expect(host.cpu(3).ipis['call-function']).toBe(2);
  });
});
