import { describe, expect, it } from 'vitest';
import { labCommands } from '../../../src/commands.js';
import { bootLab, type Lab } from '../../../src/lab/lab.js';
import { runScript } from '../../../src/lab/script.js';
import { iperf3, takeServerOutput } from '../../../src/tools/iperf3/index.js';
import { endByCount, Side, type TestParams } from '../../../src/tools/iperf3/session.js';
import type { CommandResult } from '../../../src/types.js';

const BLK = 131072;

function lab(seed = 11): Lab {
  return bootLab({ seed, sysctl: { 'net.core.wmem_max': 1 << 30, 'net.core.rmem_max': 1 << 30 } });
}

function run(l: Lab, board: 'rc' | 'ep', line: string): CommandResult {
  return iperf3(['iperf3', ...line.split(' ')], { lab: l, board: l.boards[board], vars: new Map() });
}

/** A lab with `iperf3 -s` on the RC (and its banner taken). */
function served(seed = 11): Lab {
  const l = lab(seed);
  run(l, 'rc', '-s');
  takeServerOutput(l.boards.rc);
  return l;
}

interface Sum {
  readonly end: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly packets?: number;
}
interface Doc {
  readonly start: { readonly test_start: { readonly duration: number; readonly bytes: number; readonly blocks: number; readonly omit: number } };
  readonly intervals: readonly { readonly sum: Sum }[];
  readonly end: { readonly sum_sent: Sum; readonly sum_received: Sum; readonly streams: readonly { readonly sender?: Sum; readonly udp?: Sum }[] };
}

/** The client's -J document of `line` (and its exit status 0). */
function json(l: Lab, line: string): Doc {
  const r = run(l, 'ep', `${line} -J`);
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  return JSON.parse(r.stdout) as Doc;
}

describe('iperf3 -n/--bytes and -k/--blockcount', () => {
  it('-n: the client sends until it has sent the count (a whole number of blocks here: exactly), then ends the test long before -t would', () => {
    const d = json(served(), '-c 10.0.0.1 -n 10M');
    expect(d.start.test_start).toMatchObject({ duration: 0, bytes: 10 * 1024 * 1024, blocks: 0 });
    expect(d.end.sum_sent.bytes).toBe(10 * 1024 * 1024);
    expect(d.end.sum_received.bytes).toBeLessThanOrEqual(d.end.sum_sent.bytes);
    expect(d.end.sum_sent.seconds).toBeLessThan(2);
    // The last interval, shorter than -i, ends with the test; the intervals hold every byte sent.
    expect(d.intervals.at(-1)?.sum.end).toBe(d.end.sum_sent.end);
    expect(d.intervals.reduce((t, i) => t + i.sum.bytes, 0)).toBe(d.end.sum_sent.bytes);
  });

  it('-n with -P 4 and a count off the block boundaries: the streams stop at the first write past it (iperf_send checks before each write)', () => {
    const n = 5_000_000;
    const d = json(served(), `-c 10.0.0.1 -n ${n} -P 4`);
    expect(d.end.sum_sent.bytes).toBeGreaterThanOrEqual(n);
    expect(d.end.sum_sent.bytes).toBeLessThan(n + BLK);
    expect(d.start.test_start.bytes).toBe(n);
  });

  it('-k: blocks of -l bytes — one stream sends exactly that many; with -P 2 the count is of whole blocks, the others stop mid-block', () => {
    const one = json(served(), '-c 10.0.0.1 -k 50');
    expect(one.start.test_start).toMatchObject({ duration: 0, bytes: 0, blocks: 50 });
    expect(one.end.sum_sent.bytes).toBe(50 * BLK);
    const two = json(served(), '-c 10.0.0.1 -k 100 -P 2 -l 64K');
    expect(two.end.sum_sent.bytes).toBeGreaterThanOrEqual(100 * 65536);
    expect(two.end.sum_sent.bytes).toBeLessThan(101 * 65536);
  });

  it('-k over UDP counts datagrams: unpaced (-b 0) exactly; paced (-b), the round of writes that reaches it still completes', () => {
    const unpaced = json(served(), '-c 10.0.0.1 -u -b 0 -l 1400 -k 7 -P 3');
    expect(unpaced.end.sum_sent.packets).toBe(7);
    expect(unpaced.end.sum_sent.bytes).toBe(7 * 1400);
    const paced = json(served(), '-c 10.0.0.1 -u -b 10M -l 1400 -k 7 -P 3');
    expect(paced.end.sum_sent.packets).toBeGreaterThanOrEqual(7);
    expect(paced.end.sum_sent.packets).toBeLessThanOrEqual(7 + 2);
  });

  it('-R -n: the server stops sending at the count, and the client ends the test once it has received it', () => {
    const l = served();
    const d = json(l, '-c 10.0.0.1 -R -n 4M');
    expect(d.end.sum_sent.bytes).toBe(4 * 1024 * 1024);
    expect(d.end.sum_received.bytes).toBe(4 * 1024 * 1024);
    // The server got the count in the parameters: its own -J test_start shows it.
    const s = lab();
    run(s, 'rc', '-s -J');
    json(s, '-c 10.0.0.1 -R -k 20');
    s.sim.run({ until: s.sim.now + 50_000_000 });
    const server = JSON.parse(takeServerOutput(s.boards.rc)) as Doc;
    expect(server.start.test_start).toMatchObject({ duration: 0, blocks: 20 });
    expect(server.end.sum_sent.bytes).toBe(20 * BLK);
  });

  it('-O with -n: the count starts when the omit period ends (iperf_reset_stats restarts bytes_sent)', () => {
    const n = 2 * 1024 * 1024;
    const d = json(served(), `-c 10.0.0.1 -O 1 -n ${n}`);
    expect(d.start.test_start).toMatchObject({ omit: 1, bytes: n, duration: 0 });
    expect(d.end.sum_sent.bytes).toBeGreaterThanOrEqual(n);
    expect(d.end.sum_sent.bytes).toBeLessThan(n + BLK);
    // A second's worth went by in the omit period, far more than the count.
    expect(d.intervals.length).toBeGreaterThan(1);
  });

  it('prints the -n test as iperf3 does and the same seed gives the same output', () => {
    const a = run(served(), 'ep', '-c 10.0.0.1 -n 10M');
    const b = run(served(), 'ep', '-c 10.0.0.1 -n 10M');
    expect(a.status).toBe(0);
    expect(a).toEqual(b);
    expect(a.stdout).toMatch(/\n\[ {2}5\] {3}0\.00-0\.\d\d {3}sec {2}10\.0 MBytes {2}.* sender\n/);
    expect(a.stdout.endsWith(' receiver\n\niperf Done.\n')).toBe(true);
  });

  it('a -n test stuck by a link that went down is called hung once it has moved nothing for a grace period, not interrupted as a test with no end', () => {
    const l = lab();
    // -i 0: a job's live text is looked at every 100 ms, and 600 interval lines would only slow the test.
    const script = 'rc$ iperf3 -s\nep$ iperf3 -c 10.0.0.1 -n 100G -i 0 &\nep$ sleep 2\nrc$ ip link set ntb0 down\nep$ wait\n';
    const r = runScript(l, script, { name: 'stuck', keepGoing: true, commands: labCommands() });
    const waited = r.steps.at(-1)?.result;
    expect(waited?.stdout).toMatch(/^ntb-bench: iperf3 still had not finished 600 s \(virtual\) after it started; the real iperf3 would still be waiting\. The model says: .*link is down/m);
    expect(waited?.stdout).not.toContain('has no end');
  });

  it("iperf_send's check: unpaced senders stop at the count, a paced client's after its round, a paced server's never (the client ends the test)", () => {
    const l = lab();
    const p: TestParams = { protocol: 'UDP', numStreams: 1, blksize: 1400, socketBufsize: 0, rate: 0, duration: 0, omit: 0, reverse: true, bidir: false, zerocopy: false, noDelay: false, congestion: null, tos: 0, mss: 0, interval: 1, serverAffinity: -1, cookie: 'c', bytes: 0, blocks: 5, burst: 0, title: null, getServerOutput: false };
    expect(endByCount({ ...p, blocks: 0 }, 'c')).toBeNull();
    const allowedAfterCount = (params: TestParams, role: 'c' | 's'): boolean => {
      const side = new Side(role, l.boards.rc, { mode: 'sender', protocol: 'UDP' });
      side.endBy = endByCount(params, role);
      side.sent(1400 * 4, 4);
      const before = side.sendAllowed();
      side.sent(1400, 1);
      expect(before).toBe(true);
      return side.sendAllowed();
    };
    expect(allowedAfterCount(p, 'c')).toBe(false);
    expect(allowedAfterCount(p, 's')).toBe(false);
    expect(allowedAfterCount({ ...p, rate: 1e6, burst: 10 }, 's')).toBe(false);
    expect(endByCount({ ...p, rate: 1e6 }, 'c')?.check).toBe('round');
    expect(allowedAfterCount({ ...p, rate: 1e6 }, 's')).toBe(true);
    // Paced -R over UDP: the client ends the test once it has received the count, the server sent at least as many.
    const d = json(served(), '-c 10.0.0.1 -u -b 10M -l 1400 -R -k 20');
    expect(d.end.sum_received.packets).toBeGreaterThanOrEqual(20);
    expect(d.end.sum_sent.packets).toBeGreaterThanOrEqual(d.end.sum_received.packets ?? 0);
  });
});

