import { pcieBytesPerSec } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { createNtbPerfClient, formatPa, MAX_THREADS_CNT, MSG_RETRY_NS, MSG_TRIES, PERF_CMD_INVAL, PERF_SPAD } from '../src/index.js';
import { only, parseStats, perfRig, runToEnd, stubDevice, type StatLine } from './harness.js';

const MiB = 1 << 20;
/** 2^22: what one thread copies with `total_order=22`. */
const TOTAL_22 = 4_194_304;
const STATS_HEADER = '    Peer 0 test statistics:';
const LINE = /^0: copied 4194304 bytes in \d+ usecs, \d+ MBytes\/s$/m;

const copiedLine = (l: StatLine | undefined): { tidx: number; copied: number; usecs: number; mbps: number } => {
  if (l === undefined || !('copied' in l)) throw new Error(`not a copied line: ${JSON.stringify(l)}`);
  return l;
};

describe('global index from the port numbers (perf_init_peers)', () => {
  it('distinct ports: the RC (port 0) takes global index 0 and the EP (port 1) global index 1', () => {
    const r = perfRig({ ports: 'distinct' });
    const rcInfo = only(r.rcClient).readInfo();
    const epInfo = only(r.epClient).readInfo();
    expect(rcInfo).toContain('\nLocal port 0, Global index 0\n');
    expect(rcInfo).toContain('\nPort 1 (0), Global index 1:\n');
    expect(epInfo).toContain('\nLocal port 1, Global index 1\n');
    expect(epInfo).toContain('\nPort 0 (0), Global index 0:\n');
    expect(only(r.rcClient).gidx).toBe(0);
    expect(only(r.epClient).gidx).toBe(1);
    expect(epInfo.startsWith('    Performance measuring tool info:\n\n')).toBe(true);
  });

  it('same ports (mainline EPF, no port ops, NTB_TOPO_NONE): both devices report port 0 with their peer on port 0', () => {
    const r = perfRig({ ports: 'same' });
    for (const client of [r.rcClient, r.epClient]) {
      const info = only(client).readInfo();
      expect(info).toMatch(/\nLocal port 0, Global index \d\n/);
      expect(info).toMatch(/\nPort 0 \(0\), Global index \d:\n/);
    }
  });

  // Since v5.7 (b54369a248c2 "NTB: perf: Fix support for hardware that doesn't have port
  // numbers") perf_init_peers sets perf->gidx = peers[0].gidx = 0 when pcnt == 1 and both port
  // numbers are 0, so ntb_perf works on ntb_hw_epf / pci-epf-vntb (merged later, in v5.12 / v6.0).
  it('same ports: both sides take global index 0 and the EP finishes the handshake, as the kernel does', () => {
    const r = perfRig({ ports: 'same' });
    const ep = only(r.epClient);
    expect({ gidx: [only(r.rcClient).gidx, ep.gidx], epReady: ep.peerReady(0) }).toEqual({ gidx: [0, 0], epReady: true });
  });
});

describe('the scratchpad handshake (distinct ports, two 1 MiB windows)', () => {
  it("the EP's peer is ready: its outbound window is mapped onto the RC's inbound buffer", () => {
    const r = perfRig();
    const rc = only(r.rcClient);
    const ep = only(r.epClient);
    expect(ep.peerReady(0)).toBe(true);
    expect(ep.peerCount).toBe(1);
    const inbuf = rc.inbuf(0);
    expect(inbuf?.size).toBe(MiB);
    const xlat = formatPa(inbuf?.dmaAddr ?? -1);
    const rcInfo = rc.readInfo();
    expect(rcInfo).toContain('\tIn buffer size 0x0000000000100000\n');
    expect(rcInfo).toContain(`\tIn buffer xlat ${xlat}[p]\n`);
    expect(rcInfo).toMatch(/\tIn buffer addr 0x[0-9a-f]{16}\n/);
    const epInfo = ep.readInfo();
    expect(epInfo).toContain('Test status: idle\n');
    expect(epInfo).toContain('\tLink status: up\n');
    expect(epInfo).toContain('\tOut buffer size 0x0000000000100000\n');
    expect(epInfo).toContain(`\tOut buffer xlat ${xlat}[p]\n`);
    expect(epInfo).toMatch(/\tOut buffer addr 0x[0-9a-f]{16}\n/);
  });

  it('info prints the outbound window\'s physical address after its (hashed) virtual one, and %pK hashes to 32 bits zero-extended', () => {
    const r = perfRig();
    const ep = only(r.epClient);
    const win = r.pair.ep.ops.peerMwGetAddr(ep.gidx);
    if (typeof win === 'number') throw new Error(`peerMwGetAddr: ${win}`);
    const lines = ep.readInfo().split('\n');
    const at = lines.findIndex((l) => l.startsWith('\tOut buffer addr '));
    expect(lines.slice(at, at + 3)).toEqual([expect.stringMatching(/^\tOut buffer addr 0x00000000[0-9a-f]{8}$/), `\tOut buff phys addr ${formatPa(win.base)}[p]`, '\tOut buffer size 0x0000000000100000']);
    expect(win.base).toBeGreaterThan(0);
    expect(only(r.rcClient).readInfo()).toMatch(/\n\tIn buffer addr 0x00000000[0-9a-f]{8}\n/);
  });

  // perf_enable_service calls ntb_link_enable, which on ntb_hw_epf waits for the EP to answer
  // CMD_LINK_UP, and only then ntb_link_event: the RC sees the link up and sends its SSIZE too.
  it('both sides finish the handshake, the RC too', () => {
    const r = perfRig();
    expect({ rc: only(r.rcClient).peerReady(0), ep: only(r.epClient).peerReady(0) }).toEqual({ rc: true, ep: true });
  });

  it("the RC's test writes into the EP's inbound buffer the same way", () => {
    const r = perfRig();
    const rc = only(r.rcClient);
    const ep = only(r.epClient);
    expect(rc.readInfo()).toContain('\tLink status: up\n');
    expect(rc.readInfo()).toContain(`\tOut buffer xlat ${formatPa(ep.inbuf(0)?.dmaAddr ?? -1)}[p]\n`);
    const out = runToEnd(r.sim, rc);
    expect(out.done).toEqual([0]);
    expect(out.stats).toMatch(LINE);
  });

  it('before the handshake writes to run wait for it (init_comp): when it completes the first runs its test and a second one, waiting too, only then gets -EBUSY; interrupt() ends a waiting write with -EINTR', () => {
    const r = perfRig({ settleNs: 0 });
    const ep = only(r.epClient);
    expect(ep.peerReady(0)).toBe(false);
    expect(ep.readInfo()).toContain('\tLink status: down\n');
    expect(ep.readInfo()).toContain('\tIn buffer addr: unallocated\n');
    const ended: number[] = [];
    const second: number[] = [];
    expect(ep.runTest(0, (v) => ended.push(v))).toBe(0);
    expect(ep.runTest(0, (v) => second.push(v))).toBe(0);
    expect(ep.running).toBe(false);
    const limit = r.sim.now + 500_000_000;
    while (!ep.peerReady(0) && r.sim.now < limit) {
      // Both writes still wait on init_comp.
      expect({ second, ended, running: ep.running }).toEqual({ second: [], ended: [], running: false });
      r.sim.run({ until: r.sim.now + 50_000 });
    }
    expect(ep.peerReady(0)).toBe(true);
    // busy_flag: the first write's test runs; the second write ended with -EBUSY at init_comp.
    expect({ second, ended, running: ep.running }).toEqual({ second: [-16], ended: [], running: true });
    r.sim.run({ until: r.sim.now + 500_000_000 });
    expect(ended).toEqual([0]);
    expect(second).toEqual([-16]);
    expect(parseStats(ep.readStats()).lines).toHaveLength(1);
    const waiting = perfRig({ settleNs: 0 });
    const w = only(waiting.epClient);
    const got: number[] = [];
    expect(w.runTest(0, (v) => got.push(v))).toBe(0);
    w.interrupt();
    expect(got).toEqual([-4]);
    waiting.sim.run({ until: waiting.sim.now + 500_000_000 });
    expect(got).toEqual([-4]);
    expect(w.running).toBe(false);
  });

  it('max_mw_size shrinks the outbound window, which the peer then allocates; the test wraps in it', () => {
    const r = perfRig({ perf: { params: { totalOrder: 22, maxMwSize: 0x40000 } } });
    const rc = only(r.rcClient);
    const ep = only(r.epClient);
    expect(r.ep.kmsg().some((l) => l.endsWith('ntb_perf 0000:10:00.0: Peer 0 outbuf reduced to 0x0000000000040000'))).toBe(true);
    expect(ep.readInfo()).toContain('\tOut buffer size 0x0000000000040000\n');
    expect(rc.inbuf(0)?.size).toBe(0x40000);
    expect(rc.readInfo()).toContain('\tIn buffer size 0x0000000000040000\n');
    const out = runToEnd(r.sim, ep);
    expect(out.done).toEqual([0]);
    expect(copiedLine(parseStats(out.stats).lines[0]).copied).toBe(TOTAL_22);
  });
});

describe('a CPU test (memcpy_toio through the WC window)', () => {
  it('one thread copies 2^total_order bytes at about the profile memcpy_toio rate and reports it as the kernel prints it', () => {
    const r = perfRig();
    const ep = only(r.epClient);
    expect(ep.threadsCount).toBe(1);
    const out = runToEnd(r.sim, ep);
    expect(out.rc).toBe(0);
    expect(out.done).toEqual([0]);
    expect(ep.running).toBe(false);
    expect(typeof out.stats).toBe('string');
    const text = out.stats as string;
    expect(text.split('\n')[0]).toBe(STATS_HEADER);
    expect(text).toMatch(LINE);
    const { lines } = parseStats(text);
    expect(lines).toHaveLength(1);
    const line = copiedLine(lines[0]);
    expect(line.tidx).toBe(0);
    expect(line.copied).toBe(TOTAL_22);
    expect(line.usecs).toBeGreaterThan(0);
    expect(line.mbps).toBe(Math.floor(line.copied / line.usecs));
    const rate = r.profile.memory.memcpyToWcMBps.value;
    expect(line.mbps).toBeGreaterThan(rate * 0.97);
    expect(line.mbps).toBeLessThan(rate * 1.03);
    const [res] = ep.results();
    expect(ep.results()).toHaveLength(1);
    expect(res).toMatchObject({ tidx: 0, status: 0, copied: TOTAL_22 });
    expect(Math.floor((res?.durationNs ?? 0) / 1000)).toBe(line.usecs);
    expect(out.elapsedNs ?? 0).toBeGreaterThanOrEqual(res?.durationNs ?? Infinity);
    expect(ep.readInfo()).toContain('Test status: idle\n');
  });

  it('threads_count: 1..32 accepted, 0 / 33 / fractions are -EINVAL (-22); 4 threads print lines 0..3', () => {
    const r = perfRig();
    const ep = only(r.epClient);
    for (const bad of [0, 33, -1, 1.5, Number.NaN]) expect(ep.setThreadsCount(bad)).toBe(-22);
    expect(ep.threadsCount).toBe(1);
    expect(MAX_THREADS_CNT).toBe(32);
    expect(ep.setThreadsCount(32)).toBe(0);
    expect(ep.threadsCount).toBe(32);
    expect(ep.setThreadsCount(4)).toBe(0);
    expect(ep.threadsCount).toBe(4);
    const out = runToEnd(r.sim, ep);
    expect(out.done).toEqual([0]);
    const { header, lines } = parseStats(out.stats);
    expect(header).toBe(STATS_HEADER);
    expect(lines.map((l) => l.tidx)).toEqual([0, 1, 2, 3]);
    for (const l of lines) expect(copiedLine(l).copied).toBe(TOTAL_22);
    expect(ep.results().map((t) => t.status)).toEqual([0, 0, 0, 0]);
  });

  it('while a test runs: threads_count, run and reading run are -EBUSY (-16); info shows it on-fly', () => {
    const r = perfRig();
    const ep = only(r.epClient);
    let calls = 0;
    expect(ep.runTest(0, () => calls++)).toBe(0);
    expect(ep.running).toBe(true);
    r.sim.run({ until: r.sim.now + 100_000 });
    expect(ep.running).toBe(true);
    expect(ep.setThreadsCount(2)).toBe(-16);
    expect(ep.setThreadsCount(0)).toBe(-22);
    expect(ep.threadsCount).toBe(1);
    expect(ep.runTest(0, () => calls++)).toBe(-16);
    expect(ep.readStats()).toBe(-16);
    expect(ep.readInfo()).toContain('Test status: on-fly with port 0 (0)\n');
    r.sim.run({ until: r.sim.now + 100_000_000 });
    expect(calls).toBe(1);
    expect(ep.running).toBe(false);
    expect(ep.setThreadsCount(2)).toBe(0);
    expect(parseStats(ep.readStats()).lines).toHaveLength(1);
  });

  it('runTest with a peer index out of range is -EINVAL (-22) and starts nothing', () => {
    const r = perfRig();
    const ep = only(r.epClient);
    let calls = 0;
    for (const pidx of [1, -1, 0.5]) expect(ep.runTest(pidx, () => calls++)).toBe(-22);
    expect(ep.running).toBe(false);
    expect(ep.peerReady(1)).toBe(false);
    expect(ep.inbuf(1)).toBeNull();
    r.sim.run({ until: r.sim.now + 10_000_000 });
    expect(calls).toBe(0);
    expect(ep.results()).toEqual([]);
  });
});

describe('functional mode (real bytes, as get_random_bytes fills the source)', () => {
  const inbound = (seed: number, functional: boolean): Uint8Array => {
    const r = perfRig({ seed, perf: { functional, params: { totalOrder: 22 } } });
    const out = runToEnd(r.sim, only(r.epClient));
    expect(out.done).toEqual([0]);
    // Let the last posted writes land.
    r.sim.run({ until: r.sim.now + 10_000_000 });
    const buf = only(r.rcClient).inbuf(0);
    if (buf === null) throw new Error('no RC inbuf');
    return buf.bytes.slice();
  };

  // get_random_bytes fills the source: a regression once left every byte 0.
  it("the EP's test fills all of the RC's inbound buffer with random bytes, which depend on the seed", () => {
    const a = inbound(5, true);
    expect(a.length).toBe(MiB);
    const zeros = a.reduce((n, b) => n + (b === 0 ? 1 : 0), 0);
    // Random bytes are zero 1/256 of the time; an unwritten stretch would be all zeros.
    expect({ zeroFraction: Math.round((zeros / a.length) * 1000) / 1000, differsWithSeed: !Buffer.from(inbound(6, true)).equals(Buffer.from(a)) }).toEqual({
      zeroFraction: 0.004,
      differsWithSeed: true,
    });
  });

  it('the same seed gives the same inbound bytes', () => {
    expect(Buffer.from(inbound(5, true)).equals(Buffer.from(inbound(5, true)))).toBe(true);
  });

  it('without functional mode only lengths travel: the inbound buffer stays zero', () => {
    expect(inbound(5, false).every((b) => b === 0)).toBe(true);
  });
});

describe('a DMA test (use_dma)', () => {
  const dmaRig = () => perfRig({ perf: { params: { totalOrder: 22, useDma: true } } });

  it('one thread runs near the DMA channel / link rate, faster than memcpy_toio', () => {
    const r = dmaRig();
    const ep = only(r.epClient);
    const out = runToEnd(r.sim, ep);
    expect(out.done).toEqual([0]);
    expect(out.stats).toMatch(LINE);
    const line = copiedLine(parseStats(out.stats).lines[0]);
    const ceiling = Math.min(r.profile.dma.rateMBps.value, pcieBytesPerSec(r.profile) / 1e6);
    expect(line.mbps).toBeGreaterThan(1000);
    expect(line.mbps).toBeLessThan(4000);
    expect(line.mbps).toBeGreaterThan(0.8 * ceiling);
    expect(line.mbps).toBeLessThanOrEqual(1.02 * ceiling);
    expect(line.mbps).toBeGreaterThan(r.profile.memory.memcpyToWcMBps.value);
  });

  it('two threads share the engine and the link: each gets about half', () => {
    const r = dmaRig();
    const ep = only(r.epClient);
    const single = copiedLine(parseStats(runToEnd(r.sim, ep).stats).lines[0]).mbps;
    expect(ep.setThreadsCount(2)).toBe(0);
    const out = runToEnd(r.sim, ep);
    expect(out.done).toEqual([0]);
    const lines = parseStats(out.stats).lines.map(copiedLine);
    expect(lines.map((l) => [l.tidx, l.copied])).toEqual([
      [0, TOTAL_22],
      [1, TOTAL_22],
    ]);
    for (const l of lines) {
      expect(l.mbps).toBeGreaterThan(0.4 * single);
      expect(l.mbps).toBeLessThan(0.6 * single);
    }
    const sum = lines.reduce((s, l) => s + l.mbps, 0);
    expect(sum).toBeGreaterThan(0.85 * single);
    expect(sum).toBeLessThan(1.15 * single);
  });

  it('threads beyond the DMA channels end with -ENODEV (-19) and log "N: Failed to get DMA channel"; the others finish', () => {
    const r = dmaRig();
    const ep = only(r.epClient);
    const channels = r.profile.dma.channels.value;
    expect(channels).toBe(8);
    expect(ep.setThreadsCount(channels + 2)).toBe(0);
    const out = runToEnd(r.sim, ep);
    expect(out.done).toEqual([0]);
    const { lines } = parseStats(out.stats);
    expect(lines.map((l) => l.tidx)).toEqual(Array.from({ length: channels + 2 }, (_, i) => i));
    const failed = lines.filter((l): l is { tidx: number; status: number } => 'status' in l);
    expect(failed).toHaveLength(2);
    for (const f of failed) {
      expect(f.status).toBe(-19);
      expect(out.stats).toContain(`\n${f.tidx}: error status -19\n`);
      expect(r.ep.kmsg().filter((l) => l.endsWith(`ntb_perf 0000:10:00.0: ${f.tidx}: Failed to get DMA channel`))).toHaveLength(1);
    }
    expect(r.ep.kmsg().filter((l) => l.includes('Failed to get DMA channel'))).toHaveLength(2);
    expect(lines.flatMap((l) => ('copied' in l ? [l.copied] : []))).toEqual(Array.from({ length: channels }, () => TOTAL_22));
    // The channels went back: the next run gets all of them.
    expect(ep.setThreadsCount(channels)).toBe(0);
    const again = runToEnd(r.sim, ep);
    expect(parseStats(again.stats).lines.every((l) => 'copied' in l)).toBe(true);
  });
});

describe('probe refusals (perf_probe)', () => {
  it('distinct ports with one memory window: the EP (global index 1) has no outbound window 1 and does not bind', () => {
    const r = perfRig({ mwSizes: [MiB] });
    expect(r.epClient.instances.size).toBe(0);
  });

  // Since v5.7 (a9c4211ac918 "NTB: perf: Don't require one more memory window than number of
  // peers") perf_init_service refuses only ntb_peer_mw_count < pcnt, as the model does: the RC
  // binds with pcnt (1) window; only the EP, which needs window 1, cannot.
  it('distinct ports with one memory window: the RC (global index 0) binds, one window per peer being enough', () => {
    const r = perfRig({ mwSizes: [MiB] });
    expect({ bound: r.rcClient.instances.size, refused: r.rc.kmsg().filter((l) => l.includes('Not enough memory windows')) }).toEqual({ bound: 1, refused: [] });
  });

  it('a device without an outbound window per peer: "Not enough memory windows", -EINVAL', () => {
    const { dev, host } = stubDevice({ peerMwCount: () => 0 });
    const client = createNtbPerfClient();
    expect(client.probe(dev)).toBe(-22);
    expect(client.instances.size).toBe(0);
    expect(host.kmsg().map((l) => l.replace(/^\[[ \d.]+\] /, ''))).toEqual(['ntb_perf 0000:07:00.0: Not enough memory windows']);
    expect(dev.ctx).toBeNull();
  });

  it.each([
    ['fewer than 3·(peers+1) scratchpads', { spadCount: () => 5 }],
    ['doorbell bits 0..peers not all valid', { dbValidMask: () => 0b01 }],
  ] as const)('a device with %s: "Command services unsupported", -EINVAL', (_what, ops) => {
    const { dev, host } = stubDevice(ops);
    const client = createNtbPerfClient();
    expect(client.probe(dev)).toBe(-22);
    expect(client.instances.size).toBe(0);
    expect(host.kmsg().map((l) => l.replace(/^\[[ \d.]+\] /, ''))).toEqual(['ntb_perf 0000:07:00.0: Command services unsupported']);
  });

  it("passes on the window errors: peer_mw_get_addr's errno, -ENOMEM when the window cannot be mapped", () => {
    const client = createNtbPerfClient();
    expect(client.probe(stubDevice({ peerMwGetAddr: () => -22 }).dev)).toBe(-22);
    expect(client.probe(stubDevice({ peerMwIoremap: () => null }).dev)).toBe(-12);
    expect(client.instances.size).toBe(0);
  });

  it('a sound stub device binds: context set, link enabled, our doorbell bit unmasked', () => {
    const calls: string[] = [];
    const { dev } = stubDevice({
      dbSetMask: (bits) => (calls.push(`mask ${bits}`), 0),
      dbClearMask: (bits) => (calls.push(`unmask ${bits}`), 0),
      spadWrite: (sidx, v) => (calls.push(`spad ${sidx}=${v.toString(16)}`), 0),
      linkEnable: (_s, _w, done) => (calls.push('link enable'), done(0)),
    });
    const client = createNtbPerfClient();
    expect(client.probe(dev)).toBe(0);
    expect(client.instances.size).toBe(1);
    expect(dev.ctx).not.toBeNull();
    // gidx 0 (port 0 < peer port 1): all doorbells masked, every scratchpad invalidated, bit 0 unmasked.
    expect(calls).toEqual(['mask 3', ...Array.from({ length: 6 }, (_, i) => `spad ${i}=ffffffff`), 'unmask 1', 'link enable']);
  });
});

describe('link loss during a test', () => {
  it('terminates the test with -EINTR (-4), clears the peer, and after the link returns a new test runs', () => {
    const r = perfRig({ perf: { params: { totalOrder: 28 } } });
    const ep = only(r.epClient);
    const done: number[] = [];
    expect(ep.runTest(0, (v) => done.push(v))).toBe(0);
    r.sim.run({ until: r.sim.now + 10_000_000 });
    expect(ep.running).toBe(true);
    r.pair.faults.linkDown();
    r.sim.run({ until: r.sim.now + 50_000_000 });
    expect(done).toEqual([0]);
    expect(ep.running).toBe(false);
    expect(ep.readStats()).toBe(`${STATS_HEADER}\n0: error status -4\n`);
    expect(ep.results()).toMatchObject([{ tidx: 0, status: -4 }]);
    const log = r.ep.kmsg();
    expect(log.filter((l) => l.endsWith('ntb_perf 0000:10:00.0: Freeing while test on-fly'))).toHaveLength(1);
    expect(log.filter((l) => l.endsWith('ntb_perf 0000:10:00.0: 0: Got error -4 on test'))).toHaveLength(1);
    expect(ep.peerReady(0)).toBe(false);
    expect(ep.readInfo()).toContain('\tLink status: down\n');
    // A new write waits for the handshake, which only the link's return brings.
    const again: number[] = [];
    expect(ep.runTest(0, (v) => again.push(v))).toBe(0);
    r.sim.run({ until: r.sim.now + 1_000_000_000 });
    expect(again).toEqual([]);

    r.pair.faults.linkUp();
    r.sim.run({ until: r.sim.now + 2_000_000_000 });
    expect(ep.peerReady(0)).toBe(true);
    expect(again).toEqual([0]);
    expect(ep.readStats()).toMatch(/^0: copied 268435456 bytes in \d+ usecs, \d+ MBytes\/s$/m);
  });
});

describe('unbinding and reloading (ntb_unregister_client, then a new client)', () => {
  it('rmmod with a test running waits for the write (debugfs_remove_recursive): the test ends normally, then the CLEAR, 0 in the command slot and ntb_link_disable; a reloaded ntb_perf binds, handshakes and runs again', () => {
    const r = perfRig();
    const ep = only(r.epClient);
    const done: number[] = [];
    let writeEnd: number | null = null;
    expect(
      ep.runTest(0, (v) => {
        done.push(v);
        writeEnd = r.sim.now;
      }),
    ).toBe(0);
    r.sim.run({ until: r.sim.now + 500_000 });
    // The EP (global index 1) receives the RC's commands in its scratchpad 0 (PERF_SPAD_CMD(0)).
    expect(r.pair.ep.spadRead(PERF_SPAD.cmd(0)) >>> 0).toBe(PERF_CMD_INVAL);
    r.pair.buses.ep.unregisterClient(r.epClient);
    expect(r.epClient.instances.size).toBe(0);
    expect({ removing: ep.removing, bound: ep.bound, running: ep.running, done }).toEqual({ removing: true, bound: false, running: true, done: [] });
    let removedAt: number | null = null;
    ep.whenRemoved(() => (removedAt = r.sim.now));
    r.sim.run({ until: r.sim.now + 100_000_000 });
    expect(done).toEqual([0]);
    expect(ep.readStats()).toMatch(LINE);
    expect(r.ep.kmsg().some((l) => l.includes('Freeing while test on-fly'))).toBe(false);
    // perf_remove returned after the write, once the EPF commands of its CLEAR and link disable were done.
    expect(removedAt).toBeGreaterThan(writeEnd ?? Infinity);
    expect(ep.removing).toBe(false);
    expect(r.pair.ep.spadRead(PERF_SPAD.cmd(0))).toBe(0);
    expect(ep.inbuf(0)).toBeNull();
    r.pair.buses.rc.unregisterClient(r.rcClient);
    r.pair.rc.sleepUntilIdle(10_000_000_000);
    const rcClient = createNtbPerfClient({ params: { totalOrder: 22 } });
    const epClient = createNtbPerfClient({ params: { totalOrder: 22 } });
    r.pair.buses.rc.registerClient(rcClient);
    r.pair.buses.ep.registerClient(epClient);
    r.sim.run({ until: r.sim.now + 500_000_000 });
    expect([only(rcClient).peerReady(0), only(epClient).peerReady(0)]).toEqual([true, true]);
    expect(runToEnd(r.sim, only(epClient)).stats).toMatch(LINE);
    expect(runToEnd(r.sim, only(rcClient)).stats).toMatch(LINE);
  });

  it('rmmod while a write waits for the handshake: the instance still sees its link and doorbell events, so the handshake completes, the test runs, and only then the removal goes on', () => {
    const r = perfRig({ settleNs: 0 });
    const ep = only(r.epClient);
    const done: number[] = [];
    expect(ep.runTest(0, (v) => done.push(v))).toBe(0);
    r.pair.buses.ep.unregisterClient(r.epClient);
    expect(ep.peerReady(0)).toBe(false);
    r.sim.run({ until: r.sim.now + 1_000_000_000 });
    expect(done).toEqual([0]);
    expect(ep.readStats()).toMatch(LINE);
    expect(ep.removing).toBe(false);
    expect(r.pair.ep.ctx).toBeNull();
  });

  it('rmmod while a write waits for a handshake that cannot come blocks until the writer is signalled (-EINTR)', () => {
    const r = perfRig({ settleNs: 0 });
    r.pair.faults.linkDown();
    const ep = only(r.epClient);
    const done: number[] = [];
    expect(ep.runTest(0, (v) => done.push(v))).toBe(0);
    r.pair.buses.ep.unregisterClient(r.epClient);
    r.sim.run({ until: r.sim.now + 5_000_000_000 });
    expect({ done, removing: ep.removing }).toEqual({ done: [], removing: true });
    ep.interrupt();
    expect(done).toEqual([-4]);
    expect(r.pair.ep.sleepUntilIdle(10_000_000_000)).toBe(true);
    expect(ep.removing).toBe(false);
    expect(ep.results()).toEqual([]);
  });

  it('perf_disable_service on a device: our doorbell bit masked, 0 in our command slot of the peer, our doorbell bit cleared, then ntb_link_disable; remove returns when it does', () => {
    const calls: string[] = [];
    let disabled: ((rc: number) => void) | null = null;
    const { dev } = stubDevice({
      dbSetMask: (bits) => (calls.push(`mask ${bits}`), 0),
      dbClear: (bits) => (calls.push(`clear ${bits}`), 0),
      spadWrite: (sidx, v) => (calls.push(`spad ${sidx}=${v.toString(16)}`), 0),
      linkDisable: (done) => {
        calls.push('link disable');
        disabled = done;
      },
    });
    const client = createNtbPerfClient();
    expect(client.probe(dev)).toBe(0);
    const perf = only(client);
    calls.length = 0;
    let removed = false;
    client.remove(dev);
    perf.whenRemoved(() => (removed = true));
    // gidx 0, the peer's gidx 1: our command slot for it is scratchpad 3; doorbell bit 0 (mask 1).
    expect(calls).toEqual(['mask 1', 'spad 3=0', 'clear 1', 'link disable']);
    expect({ removed, removing: perf.removing }).toEqual({ removed: false, removing: true });
    (disabled as ((rc: number) => void) | null)?.(0);
    expect({ removed, removing: perf.removing }).toEqual({ removed: true, removing: false });
  });
});

describe('stopping a test (perf_terminate_test)', () => {
  it('a signal before any thread started cancels their works: they keep -ENODATA (nothing printed, nothing copied) and the write ends with -EINTR', () => {
    const r = perfRig({ perf: { functional: true, params: { totalOrder: 22 } } });
    const ep = only(r.epClient);
    expect(ep.setThreadsCount(4)).toBe(0);
    const done: number[] = [];
    expect(ep.runTest(0, (v) => done.push(v))).toBe(0);
    expect(ep.running).toBe(true);
    ep.interrupt();
    r.sim.run({ until: r.sim.now + 100_000_000 });
    expect(done).toEqual([-4]);
    expect(ep.results()).toEqual([]);
    expect(ep.readStats()).toBe(`${STATS_HEADER}\n`);
    expect(r.ep.kmsg().some((l) => l.includes('Got error'))).toBe(false);
    expect(only(r.rcClient).inbuf(0)?.bytes.every((b) => b === 0)).toBe(true);
  });
});

describe('command retries (perf_spad_cmd_send, MSG_TRIES 1000, usleep_range(1000000, 2000000) since v5.8)', () => {
  it('a busy slot is tried again after the 2 s upper bound of the sleep, not sooner', () => {
    expect({ MSG_TRIES, MSG_RETRY_NS }).toEqual({ MSG_TRIES: 1000, MSG_RETRY_NS: 2_000_000_000 });
    // The RC's command slot in the EP's scratchpads (PERF_SPAD_CMD(0)) is taken before the RC's
    // ntb_perf sees the link: its SSIZE finds it busy.
    const r = perfRig({ settleNs: 0 });
    const ep = only(r.epClient);
    r.pair.ep.spadWrite(PERF_SPAD.cmd(0), 7);
    while (r.rcClient.instances.size === 0 || !only(r.rcClient).peerLinkUp(0)) r.sim.run({ until: r.sim.now + 1_000_000 });
    const firstTry = r.sim.now;
    r.sim.run({ until: firstTry + 1_000_000_000 });
    // The RC's SSIZE is still waiting: the EP has allocated nothing for it.
    expect(ep.inbuf(0)).toBeNull();
    r.pair.ep.spadWrite(PERF_SPAD.cmd(0), PERF_CMD_INVAL);
    r.sim.run({ until: firstTry + 1_990_000_000 });
    expect(ep.inbuf(0)).toBeNull();
    r.sim.run({ until: firstTry + 2_100_000_000 });
    expect(ep.inbuf(0)?.size).toBe(MiB);
    r.sim.run({ until: r.sim.now + 100_000_000 });
    expect(only(r.rcClient).peerReady(0)).toBe(true);
  });

  it('after MSG_TRIES busy attempts and the sleep after the last one, the command is dropped: a slot freed then is never used', () => {
    const r = perfRig({ settleNs: 0 });
    const ep = only(r.epClient);
    r.pair.ep.spadWrite(PERF_SPAD.cmd(0), 7);
    while (r.rcClient.instances.size === 0 || !only(r.rcClient).peerLinkUp(0)) r.sim.run({ until: r.sim.now + 1_000_000 });
    const firstTry = r.sim.now;
    // Attempts at firstTry + 2 s·k, k = 0 … 999; the last one's sleep ends at firstTry + 2000 s.
    r.sim.run({ until: firstTry + 1_999_000_000_000 });
    r.pair.ep.spadWrite(PERF_SPAD.cmd(0), PERF_CMD_INVAL);
    r.sim.run({ until: firstTry + 2_010_000_000_000 });
    expect(ep.inbuf(0)).toBeNull();
    expect(only(r.rcClient).peerReady(0)).toBe(false);
    // The link stays up: only a new link event (or a reload) would send SSIZE again.
    expect(only(r.rcClient).peerLinkUp(0)).toBe(true);
  });
});

describe('determinism', () => {
  const session = (seed: number) => {
    const r = perfRig({ seed });
    const ep = only(r.epClient);
    ep.setThreadsCount(3);
    const out = runToEnd(r.sim, ep);
    return { stats: out.stats, elapsed: out.elapsedNs, info: [ep.readInfo(), only(r.rcClient).readInfo()], kmsg: [r.rc.kmsg(), r.ep.kmsg()] };
  };

  it('the same seed gives the same statistics, info and kernel logs; another seed other timings', () => {
    const a = session(11);
    expect(typeof a.stats).toBe('string');
    expect(session(11)).toEqual(a);
    expect(session(12).stats).not.toBe(a.stats);
  });
});
