import { describe, expect, it } from 'vitest';
import { createEpfPair, DW_MSI_MODES, EpfError } from '../src/index.js';
import { probedPair, quietHosts } from './helpers.js';

const run = (sim: { run: (o: { until: number }) => void; now: number }, ns = 1_000_000): void => sim.run({ until: sim.now + ns });

describe('the RC’s DWC MSI controller (one chained msi SPI for every vector)', () => {
  it('redirect (default): the SPI demultiplexes on its CPU; a vector steered elsewhere runs there after an IPI, one left on the SPI’s CPU runs inline', () => {
    const { sim, rc, pair } = probedPair();
    const ctl = pair.msiController;
    expect(ctl.mode).toBe('redirect');
    const parent = ctl.parent;
    expect(parent).not.toBeNull();
    expect({ name: parent?.name, chained: parent?.chained, num: parent?.num }).toEqual({ name: 'dw-pcie-msi', chained: true, num: (pair.rcIrqs().at(-1)?.num ?? 0) + 1 });
    expect(rc.irqs.get(parent?.num ?? -1)).toBe(parent);
    const [v2, v3] = [pair.rcIrqs()[2], pair.rcIrqs()[3]];
    v3?.setAffinity(1 << 2);
    const irqWork = (): number[] => rc.cpus.map((c) => c.ipis['irq-work']);
    const before = { parent: [...(parent?.counts ?? [])], v2: [...(v2?.counts ?? [])], v3: [...(v3?.counts ?? [])], redirected: ctl.redirected, ipis: irqWork() };
    pair.faults.spuriousDoorbell({ to: 'rc', vector: 3 });
    run(sim);
    expect((parent?.counts[0] ?? 0) - (before.parent[0] ?? 0)).toBe(1);
    expect((v3?.counts[2] ?? 0) - (before.v3[2] ?? 0)).toBe(1);
    expect(v3?.counts[0]).toBe(before.v3[0]);
    expect(ctl.redirected - before.redirected).toBe(1);
    // The hand-over is an IRQ work IPI to CPU 2 (arm64's IPI5).
    expect(irqWork().map((n, i) => n - (before.ipis[i] ?? 0))).toEqual([0, 0, 1, 0, 0, 0, 0, 0]);
    pair.faults.spuriousDoorbell({ to: 'rc', vector: 2 });
    run(sim);
    expect((v2?.counts[0] ?? 0) - (before.v2[0] ?? 0)).toBe(1);
    expect(ctl.redirected - before.redirected).toBe(1);
    expect(irqWork().map((n, i) => n - (before.ipis[i] ?? 0))).toEqual([0, 0, 1, 0, 0, 0, 0, 0]);
  });

  it('redirect: a vector redirected again while its handler is still pending on its CPU sends no second IPI (its irq_work is queued)', () => {
    const { sim, rc, pair } = probedPair();
    const ctl = pair.msiController;
    const v3 = pair.rcIrqs()[3];
    v3?.setAffinity(1 << 2);
    const before = { v3: v3?.counts[2] ?? 0, coalesced: v3?.coalesced ?? 0, redirected: ctl.redirected, ipis: rc.cpu(2).ipis['irq-work'] };
    // CPU 2 in a 500 µs softirq step: the redirected vector waits for its end.
    rc.createTasklet('busy', (ctx) => {
      ctx.charge(500_000);
      return false;
    }).schedule(rc.cpu(2));
    sim.at(sim.now + 10_000, () => pair.faults.spuriousDoorbell({ to: 'rc', vector: 3 }));
    sim.at(sim.now + 100_000, () => pair.faults.spuriousDoorbell({ to: 'rc', vector: 3 }));
    run(sim);
    expect({
      handled: (v3?.counts[2] ?? 0) - before.v3,
      coalesced: (v3?.coalesced ?? 0) - before.coalesced,
      redirected: ctl.redirected - before.redirected,
      ipis: rc.cpu(2).ipis['irq-work'] - before.ipis,
    }).toEqual({ handled: 1, coalesced: 1, redirected: 2, ipis: 1 });
  });

  it('MSIs that land before the SPI is handled are one SPI run: its demultiplexing handles every set status bit', () => {
    const { sim, pair } = probedPair();
    const parent = pair.msiController.parent;
    const [v2, v4] = [pair.rcIrqs()[2], pair.rcIrqs()[4]];
    const p0 = parent?.counts[0] ?? 0;
    const c = [v2?.counts[0] ?? 0, v4?.counts[0] ?? 0];
    pair.faults.spuriousDoorbell({ to: 'rc', vector: 2 });
    pair.faults.spuriousDoorbell({ to: 'rc', vector: 4 });
    run(sim);
    expect((parent?.counts[0] ?? 0) - p0).toBe(1);
    expect([(v2?.counts[0] ?? 0) - (c[0] ?? 0), (v4?.counts[0] ?? 0) - (c[1] ?? 0)]).toEqual([1, 1]);
  });

  it('chained (kernels before the redirection): smp_affinity of a vector fails with EIO, and every vector runs on the SPI’s CPU', () => {
    const { sim, rc, pair } = probedPair({ msi: 'chained' });
    const v3 = pair.rcIrqs()[3];
    expect(pair.msiController.steerable).toBe(false);
    expect(v3?.noAffinity).toBe(true);
    expect(() => v3?.setAffinity(1 << 2)).toThrow(/EIO|cannot set affinity/);
    expect(v3?.affinity).toBe(0xff);
    pair.msiController.parent?.setAffinity(1 << 5);
    const before = [...(v3?.counts ?? [])];
    pair.faults.spuriousDoorbell({ to: 'rc', vector: 3 });
    run(sim);
    expect((v3?.counts[5] ?? 0) - (before[5] ?? 0)).toBe(1);
    expect(pair.msiController.redirected).toBe(0);
    expect(rc.cpus.every((c) => c.ipis['irq-work'] === 0)).toBe(true);
  });

  it('direct: no SPI; each vector goes straight to its own CPU, as an ITS or an x86 APIC delivers', () => {
    const { sim, rc, pair } = probedPair({ msi: 'direct' });
    expect(pair.msiController.parent).toBeNull();
    const v3 = pair.rcIrqs()[3];
    v3?.setAffinity(1 << 6);
    const before = v3?.counts[6] ?? 0;
    pair.faults.spuriousDoorbell({ to: 'rc', vector: 3 });
    run(sim);
    expect((v3?.counts[6] ?? 0) - before).toBe(1);
    expect(rc.cpus.every((c) => c.ipis['irq-work'] === 0)).toBe(true);
  });

  it('refuses an unknown mode, naming the allowed ones, before building anything', () => {
    const { rc, ep } = quietHosts();
    expect(DW_MSI_MODES).toEqual(['redirect', 'chained', 'direct']);
    const bad = (): unknown => createEpfPair({ rc, ep, msi: 'its' as never });
    expect(bad).toThrow(EpfError);
    expect(bad).toThrow('msi: got "its", allowed redirect, chained, direct');
    expect(rc.irqs.size).toBe(0);
  });
});
