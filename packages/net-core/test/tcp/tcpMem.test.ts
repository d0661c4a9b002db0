import { createHost, createSimulation, extendProfile, getProfile } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { createNetStack, DEFAULT_SYSCTLS, NR_FREE_BUFFER_PAGES_RATIO, PAGE_SIZE, tcpMemFromRam } from '../../src/index.js';
import { makeLab, pattern, startBulk, type Lab } from '../helpers.js';

/** The largest host TCP memory (pages) seen on `lab.a` and `lab.b`, sampled every 200 µs until `until`. */
function sampleMemory(lab: Lab, until: number): { a: number; b: number } {
  const max = { a: 0, b: 0 };
  const tick = (): void => {
    max.a = Math.max(max.a, lab.sa.tcpMemoryAllocated);
    max.b = Math.max(max.b, lab.sb.tcpMemoryAllocated);
    if (lab.sim.now + 200_000 <= until) lab.sim.after(200_000, tick);
  };
  lab.sim.after(0, tick);
  return max;
}

/** Four iperf3 -Z -w 512M streams (65480-byte sendfile writes, wmem_max/rmem_max raised) from a to b. */
function fourStreams(lab: Lab, bytes: number, functional = false): ReturnType<typeof startBulk>[] {
  for (const s of [lab.sa, lab.sb]) {
    s.setSysctl('net.core.wmem_max', 1 << 30);
    s.setSysctl('net.core.rmem_max', 1 << 30);
  }
  return [0, 1, 2, 3].map((i) => startBulk(lab, { bytes, port: 5201 + i, writeSize: 65_480, sendfile: true, window: 512 << 20, functional }));
}

describe('tcp_mem from RAM (tcp_init_mem)', () => {
  it('sizes tcp_mem from nr_free_buffer_pages ≈ 95 % of the RAM pages: limit/16, {limit/4×3, limit, limit/4×3×2}, at least 128', () => {
    expect(PAGE_SIZE).toBe(4096);
    expect(NR_FREE_BUFFER_PAGES_RATIO).toBe(0.95);
    expect(tcpMemFromRam(3968)).toEqual([45_234, 60_313, 90_468]);
    expect(tcpMemFromRam(65_536)).toEqual([747_108, 996_147, 1_494_216]);
    expect(tcpMemFromRam(1)).toEqual([96, 128, 192]);
    expect(DEFAULT_SYSCTLS.tcpMem).toEqual(tcpMemFromRam(4096));
  });

  it('each stack takes its host\'s RAM from the profile, and net.ipv4.tcp_mem overrides it', () => {
    const sim = createSimulation({ seed: 1 });
    const spider = createNetStack(createHost(sim, { name: 'rc', profile: getProfile('rcar-s4') }));
    const server = createNetStack(createHost(sim, { name: 'x86', profile: getProfile('x86-server') }));
    const small = createNetStack(createHost(sim, { name: 'small', profile: extendProfile(getProfile('rcar-s4'), { memory: { ramMiB: { value: 512 } } }) }));
    expect(spider.sysctl.tcpMem).toEqual([45_234, 60_313, 90_468]);
    expect(server.sysctl.tcpMem).toEqual(tcpMemFromRam(65_536));
    expect(small.sysctl.tcpMem).toEqual(tcpMemFromRam(512));
    spider.setSysctl('net.ipv4.tcp_mem', '1000 2000 3000');
    expect(spider.sysctl.tcpMem).toEqual([1000, 2000, 3000]);
    expect(() => spider.setSysctl('net.ipv4.tcp_mem', '3000 2000 1000')).toThrow(/page counts/);
    const fixed = createNetStack(createHost(sim, { name: 'fixed', profile: getProfile('rcar-s4') }), { sysctl: { tcpMem: [10, 20, 30] } });
    expect(fixed.sysctl.tcpMem).toEqual([10, 20, 30]);
  });
});

describe('the host-wide TCP memory limit', () => {
  it('holds four -w 512M sendfile streams to tcp_mem[2] of send memory: writers wait for memory, enter pressure, and all finish', () => {
    const lab = makeLab({ veth: { rateBps: 10e9, mtu: 65_510 } });
    const limit = [2000, 3000, 4000] as const;
    lab.sa.setSysctl('net.ipv4.tcp_mem', [...limit]);
    const bytes = 30e6;
    const streams = fourStreams(lab, bytes);
    const max = sampleMemory(lab, 3e9);
    lab.sim.run({ until: 3e9 });
    expect(streams.map((s) => s.received)).toEqual([bytes, bytes, bytes, bytes]);
    expect(streams.map((s) => s.error)).toEqual([null, null, null, null]);
    const slack = 4 * Math.ceil((DEFAULT_SYSCTLS.tcpWmem[0] + 65_536) / PAGE_SIZE);
    expect(max.a).toBeGreaterThan(limit[1]);
    expect(max.a).toBeLessThanOrEqual(limit[2] + slack);
    expect(lab.sa.tcpExt.TCPMemoryPressures).toBeGreaterThan(0);
    expect(lab.sa.tcpMemoryPressure).toBe(false);
    expect(lab.sa.tcpMemoryAllocated).toBe(0);
    expect(lab.sb.tcpMemoryAllocated).toBe(0);
  });

  it('without the limit the same writers queue far more (what the limit prevents)', () => {
    const lab = makeLab({ veth: { rateBps: 10e9, mtu: 65_510 } });
    lab.sa.setSysctl('net.ipv4.tcp_mem', [1e9, 1e9, 1e9]);
    fourStreams(lab, 30e6);
    const max = sampleMemory(lab, 50e6);
    lab.sim.run({ until: 50e6 });
    expect(max.a).toBeGreaterThan(4 * 4000);
    expect(lab.sa.tcpExt.TCPMemoryPressures).toBe(0);
  });

  it('limits receive memory too: while the reader stalls the receiver drops what tcp_mem[2] cannot hold, and the bytes still arrive intact', () => {
    const lab = makeLab({ veth: { rateBps: 10e9 } });
    const limit = [100, 150, 200] as const;
    lab.sb.setSysctl('net.ipv4.tcp_mem', [...limit]);
    lab.sa.setSysctl('net.core.wmem_max', 1 << 30);
    lab.sb.setSysctl('net.core.rmem_max', 1 << 30);
    const bytes = 4e6;
    const bulk = startBulk(lab, { bytes, writeSize: 65_536, readSize: 65_536, functional: true, window: 64 << 20, readerDelayNs: 100e6 });
    const max = sampleMemory(lab, 3e9);
    lab.sim.run({ until: 90e6 });
    const held = lab.sb.tcpMemoryAllocated;
    lab.sim.run({ until: 3e9 });
    expect(held).toBeGreaterThan(limit[0]);
    expect(max.b).toBeLessThanOrEqual(limit[2] + Math.ceil(70_000 / PAGE_SIZE));
    expect(lab.sb.tcpExt.TCPRcvQDrop + lab.sb.tcpExt.TCPOFODrop).toBeGreaterThan(0);
    expect(bulk.error).toBeNull();
    expect(bulk.received).toBe(bytes);
    const want = pattern(0, bytes);
    expect(bulk.data?.findIndex((b, i) => b !== want[i])).toBe(-1);
    expect(lab.sb.tcpMemoryAllocated).toBe(0);
  });
});
