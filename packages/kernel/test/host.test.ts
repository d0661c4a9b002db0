import { describe, expect, it } from 'vitest';
import { createHost, createSimulation, formatPrintk, getProfile, LOG_BUF_LINES } from '../src/index.js';
import { quietHost } from './helpers.js';

describe('Host kernel log (printk / dmesg)', () => {
  it('stamps each line with the uptime since the host booted, as "[%5lu.%06lu] "', () => {
    expect(formatPrintk(0, 'a')).toBe('[    0.000000] a');
    expect(formatPrintk(1_234_567_891, 'b')).toBe('[    1.234567] b');
    expect(formatPrintk(123_456 * 1e9 + 999, 'c')).toBe('[123456.000000] c');
    const sim = createSimulation({ seed: 1 });
    sim.run({ until: 5e9 });
    const host = createHost(sim, { name: 'h', profile: getProfile('rcar-s4') });
    expect(host.printk('booted')).toBe('[    0.000000] booted');
    sim.run({ until: 5e9 + 2_500_000 });
    expect(host.printk('later')).toBe('[    0.002500] later');
    expect(host.kmsg()).toEqual(['[    0.000000] booted', '[    0.002500] later']);
  });

  it('keeps the last LOG_BUF_LINES lines, oldest dropped first; kmsg() is a copy', () => {
    const host = createHost(createSimulation({ seed: 1 }), { name: 'h', profile: getProfile('rcar-s4') });
    for (let i = 0; i < LOG_BUF_LINES + 3; i++) host.printk(`line ${i}`);
    const log = host.kmsg();
    expect(log).toHaveLength(LOG_BUF_LINES);
    expect(log[0]).toBe('[    0.000000] line 3');
    expect(log.at(-1)).toBe(`[    0.000000] line ${LOG_BUF_LINES + 2}`);
    (log as string[]).length = 0;
    expect(host.kmsg()).toHaveLength(LOG_BUF_LINES);
  });
});

describe('Host cache topology', () => {
  it('CPUs share a last-level cache within groups of cpu.llcCpus (all of them when it covers the host)', () => {
    const sim = createSimulation({ seed: 1 });
    const rc = createHost(sim, { name: 'rc', profile: getProfile('rcar-s4') });
    const pairs = (h: typeof rc): string => h.cpus.map((a) => h.cpus.map((b) => (h.sharesCache(a, b) ? 1 : 0)).join('')).join(' ');
    expect(pairs(rc)).toBe('11000000 11000000 00110000 00110000 00001100 00001100 00000011 00000011');
    expect(rc.cpus.map((c) => rc.cacheSiblings(c).map((o) => o.id).join(','))).toEqual(['1', '0', '3', '2', '5', '4', '7', '6']);
    const x86 = createHost(sim, { name: 'x', profile: getProfile('x86-server') });
    expect(x86.cpus.every((a) => x86.cpus.every((b) => x86.sharesCache(a, b)))).toBe(true);
    expect(x86.cacheSiblings(x86.cpu(13)).map((o) => o.id)).toEqual([14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
});

describe('Host.thisCpu (smp_processor_id)', () => {
  it('is the CPU whose step runs the caller, CPU 0 outside any step', () => {
    const { sim, host } = quietHost();
    const seen: number[] = [];
    expect(host.thisCpu().id).toBe(0);
    const t = host.createTasklet('t', () => {
      seen.push(host.thisCpu().id);
      return false;
    });
    t.schedule(host.cpu(3));
    sim.at(1_000, () => seen.push(host.thisCpu().id));
    sim.run();
    expect(seen).toEqual([3, 0]);
  });
});
