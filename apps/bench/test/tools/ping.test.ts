import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { combinedOutput } from '../../src/tools/output.js';
import { LAB_EPOCH_SECONDS } from '../../src/tools/net/host.js';
import type { CommandResult } from '../../src/types.js';
import { ping } from '../../src/tools/ping/command.js';
import { formatPingHeader, formatPingReply, formatPingStatistics, formatTripTime } from '../../src/tools/ping/format.js';
import { sh as labSh } from '../labShell.js';

/**
 * The echo requests `lab`'s EP hands its drivers and the replies its NET_RX takes (ntb0 or lo),
 * as virtual times (ns), in order; the TTL and TOS of the requests the RC receives.
 */
function echoes(lab: Lab): { requests: number[]; replies: number[]; atRc: string[] } {
  const requests: number[] = [];
  const replies: number[] = [];
  const atRc: string[] = [];
  lab.boards.ep.stack.addPacketHandler((skb, _dev, dir, ctx) => {
    if (skb.l4.kind !== 'icmp') return;
    if (dir === 'out' && skb.l4.type === 8) requests.push(ctx.time);
    if (dir === 'in' && skb.l4.type === 0) replies.push(ctx.time);
  });
  lab.boards.rc.stack.addPacketTap((skb) => {
    if (skb.l4.kind === 'icmp' && skb.l4.type === 8) atRc.push(`ttl ${skb.ip.ttl} tos 0x${skb.ip.tos.toString(16)}`);
  });
  return { requests, replies, atRc };
}

const fixture = readFileSync(fileURLToPath(new URL('./fixtures/ping-ip.txt', import.meta.url)), 'utf8');

/** The output of the fixture's `$ ping …` block for `command`. */
function block(command: string): string {
  const start = fixture.indexOf(`$ ${command}\n`);
  const body = fixture.slice(start + command.length + 3);
  return body.slice(0, body.indexOf('\n$ ') + 1);
}

describe('ping output', () => {
  it('prints the iputils layout of ping-ip.txt byte for byte', () => {
    const run = (host: string, spec: { datalen: number; replies: { tripUs: number; ttl: number }[]; quiet: boolean; elapsedNs: number }): string => {
      let out = formatPingHeader(host, spec.datalen);
      spec.replies.forEach((r, i) => {
        if (!spec.quiet) out += formatPingReply({ bytes: spec.datalen + 8, from: host, seq: i + 1, ttl: r.ttl, tripUs: r.tripUs });
      });
      return out + formatPingStatistics(host, { transmitted: spec.replies.length, received: spec.replies.length, rtts: spec.replies.map((r) => r.tripUs), elapsedNs: spec.elapsedNs, timing: true });
    };
    const r = (...t: number[]): { tripUs: number; ttl: number }[] => t.map((tripUs) => ({ tripUs, ttl: 64 }));
    expect(run('10.9.0.2', { datalen: 56, replies: r(157, 50, 68), quiet: false, elapsedNs: 408_000_000 })).toBe(block('ping -c 3 -i 0.2 10.9.0.2'));
    expect(run('10.9.0.2', { datalen: 56, replies: r(41, 48, 61), quiet: true, elapsedNs: 408_200_000 })).toBe(block('ping -c 3 -q -i 0.2 10.9.0.2'));
    expect(run('10.9.0.2', { datalen: 65000, replies: r(167, 150), quiet: false, elapsedNs: 201_000_000 })).toBe(block('ping -c 2 -s 65000 10.9.0.2'));
  });

  it('rounds trip times as iputils does', () => {
    expect(formatTripTime(157)).toBe('0.157');
    expect(formatTripTime(1234)).toBe('1.23');
    expect(formatTripTime(9995)).toBe('10.0');
    expect(formatTripTime(12345)).toBe('12.3');
    expect(formatTripTime(99950)).toBe('100');
    expect(formatTripTime(123456)).toBe('123');
  });

  it('reports loss and no rtt line when nothing came back', () => {
    const s = formatPingStatistics('10.0.0.9', { transmitted: 3, received: 1, rtts: [100], elapsedNs: 2_000_000_000, timing: true });
    expect(s).toBe('\n--- 10.0.0.9 ping statistics ---\n3 packets transmitted, 1 received, 66.6667% packet loss, time 2000ms\nrtt min/avg/max/mdev = 0.100/0.100/0.100/0.000 ms\n');
    expect(formatPingStatistics('h', { transmitted: 2, received: 0, rtts: [], elapsedNs: 1e9, timing: true })).toBe('\n--- h ping statistics ---\n2 packets transmitted, 0 received, 100% packet loss, time 1000ms\n\n');
  });

  it('ends the rtt line with the pipe size when requests overlapped, and ipg/ewma for a 0 interval (finish())', () => {
    const base = { transmitted: 3, received: 3, rtts: [5000, 5000, 5000], elapsedNs: 2_000_000, timing: true };
    expect(formatPingStatistics('h', { ...base, pipesize: 1 })).toMatch(/mdev = 5\.000\/5\.000\/5\.000\/0\.000 ms\n$/);
    expect(formatPingStatistics('h', { ...base, pipesize: 3 })).toMatch(/mdev = 5\.000\/5\.000\/5\.000\/0\.000 ms, pipe 3\n$/);
    expect(formatPingStatistics('h', { ...base, pipesize: 3, ipgEwma: true, ewma8: 40_123 })).toMatch(/ms, pipe 3, ipg\/ewma 1\.000\/5\.015 ms\n$/);
    expect(formatPingStatistics('h', { ...base, received: 0, rtts: [], pipesize: 2 })).toMatch(/time 2ms\npipe 2\n$/);
  });
});

describe('ping in the lab', () => {
  const env = (lab: Lab, b: 'rc' | 'ep'): Parameters<typeof ping>[1] => ({ lab, board: lab.boards[b], vars: new Map() });

  it('pings the other board over ntb0 and prints its statistics', () => {
    const lab = bootLab({ seed: 3 });
    const r = ping(['ping', '-c', '3', '-i', '0.2', '10.0.0.1'], env(lab, 'ep'));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    // 402 ms, not 400: each reply wakes ping ~8 ms into the 200 ms interval, and pinger() counts
    // whole milliseconds from then, so the next request leaves that fraction of a millisecond late.
    expect(r.stdout).toMatch(/^PING 10\.0\.0\.1 \(10\.0\.0\.1\) 56\(84\) bytes of data\.\n(64 bytes from 10\.0\.0\.1: icmp_seq=[123] ttl=64 time=\d+(\.\d+)? ms\n){3}\n--- 10\.0\.0\.1 ping statistics ---\n3 packets transmitted, 3 received, 0% packet loss, time 402ms\nrtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms\n$/);
    const q = ping(['ping', '-q', '-c', '2', '-s', '65000', '10.0.0.2'], env(lab, 'rc'));
    expect(q.stdout).toMatch(/^PING 10\.0\.0\.2 \(10\.0\.0\.2\) 65000\(65028\) bytes of data\.\n\n--- 10\.0\.0\.2 ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss/);
  });

  it('-h prints iputils\' whole usage(), the options the lab does not model included, and exits 2', () => {
    const lab = bootLab({ seed: 3 });
    const r = ping(['ping', '-h'], env(lab, 'ep'));
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines.slice(0, 6)).toEqual(['', 'Usage', '  ping [options] <destination>', '', 'Options:', '  <destination>      DNS name or IP address']);
    expect(lines).toContain('  -H                 force reverse DNS name resolution (useful for numeric');
    expect(lines).toContain('  -M <pmtud opt>     define path MTU discovery, can be one of <do|dont|want|probe>');
    expect(lines.slice(-7)).toEqual(['IPv6 options:', '  -6                 use IPv6', '  -F <flowlabel>     define flow label, default is random', '  -N <nodeinfo opt>  use IPv6 node info query, try <help> as argument', '', 'For more details see ping(8).', '']);
  });

  it('fails as iputils does (and fragments what is above the MTU)', () => {
    const lab = bootLab({ seed: 3 });
    expect(ping(['ping', '-c', '0', '10.0.0.1'], env(lab, 'ep'))).toEqual({ stdout: '', stderr: "ping: invalid argument: '0': out of range: 1 <= value <= 9223372036854775807\n", status: 1 });
    expect(ping(['ping', '-c', '1'], env(lab, 'ep'))).toEqual({ stdout: '', stderr: 'ping: usage error: Destination address required\n', status: 1 });
    expect(ping(['ping', '-c', '1', '-s', '70000', '10.0.0.1'], env(lab, 'ep')).stderr).toBe('ping: packet size 70000 is too large. Maximum is 65507\n');
    expect(ping(['ping', '-c', '1', '192.168.1.1'], env(lab, 'ep'))).toEqual({ stdout: '', stderr: 'ping: connect: Network is unreachable\n', status: 2 });
    // Above the MTU (65528 > 65510) the echo is fragmented (IP_PMTUDISC_WANT), as on Linux.
    const big = ping(['ping', '-c', '1', '-W', '1', '-s', '65500', '10.0.0.1'], env(lab, 'ep'));
    expect(big.stderr).toBe('');
    expect(big.status).toBe(0);
    expect(big.stdout).toMatch(/^PING 10\.0\.0\.1 \(10\.0\.0\.1\) 65500\(65528\) bytes of data\.\n65508 bytes from 10\.0\.0\.1: icmp_seq=1 ttl=64 time=[\d.]+ ms\n/);
    expect(big.stdout).toContain('1 packets transmitted, 1 received, 0% packet loss');
    // -M do (IP_PMTUDISC_DO): no fragmentation; the stack refuses it and iputils counts a local error.
    const df = ping(['ping', '-c', '2', '-M', 'do', '-s', '65500', '10.0.0.1'], env(lab, 'ep'));
    expect(df.stderr).toBe('ping: local error: message too long, mtu=65510\n'.repeat(2));
    expect(df.stdout).toContain('2 packets transmitted, 0 received, +2 errors, 100% packet loss');
    expect(df.status).toBe(1);
    expect(ping(['ping', '-c', '1', '-M', 'do', '-s', '1000', '10.0.0.1'], env(lab, 'ep')).status).toBe(0);
    expect(ping(['ping', '-c', '1', '-M', 'sometimes', '10.0.0.1'], env(lab, 'ep'))).toMatchObject({ stderr: 'ping: invalid -M argument: sometimes\n', status: 2 });
  });
});

describe('ping as iputils 20240117 checks its arguments', () => {
  const sh = (lab: Lab, line: string): CommandResult => labSh(lab, 'ep', line);
  const header = 'PING 10.0.0.1 (10.0.0.1) 56(84) bytes of data.\n';
  const flood = 'ping: cannot flood, minimal interval for user must be >= 2 ms, use -i 0.002 (or higher)\n';
  const garbage = (rest: string): string => `ping: option argument contains garbage: ${rest}\nping: this will become fatal error in the future\n`;

  it('refuses an interval below 2 ms to a user (after the header, as ping_setup does), and allows it under sudo', () => {
    const lab = bootLab({ seed: 3 });
    const t0 = lab.sim.now;
    expect(sh(lab, 'ping -c 1 -i 0.001 10.0.0.1')).toEqual({ stdout: header, stderr: flood, status: 2 });
    expect(sh(lab, 'ping -c 1 -i 0 10.0.0.1')).toEqual({ stdout: header, stderr: flood, status: 2 });
    expect(sh(lab, 'ping -c 1 -i 0.0019 10.0.0.1').status).toBe(2);
    expect(lab.sim.now).toBe(t0);
    expect(sh(lab, 'ping -c 1 -i 0.002 -q 10.0.0.1').status).toBe(0);
    const echo = echoes(lab);
    const root = sh(lab, 'sudo ping -c 3 -i 0.001 -q 10.0.0.1');
    expect(root.stderr).toBe('');
    expect(root.status).toBe(0);
    expect(root.stdout).toContain('3 packets transmitted, 3 received, 0% packet loss');
    // Below MIN_INTERVAL_MS with a request in flight, main_loop polls up to 10 ms for its reply:
    // each request leaves when the previous reply comes (RTT ~8 ms), one at a time, no pipe.
    expect(root.stdout).not.toContain('pipe');
    expect(echo.requests).toHaveLength(3);
    for (let i = 1; i < 3; i++) expect(echo.requests[i]).toBeGreaterThanOrEqual(echo.replies[i - 1] as number);
    for (let i = 1; i < 3; i++) expect((echo.requests[i] as number) - (echo.replies[i - 1] as number)).toBeLessThan(0.1e6);
    // The check comes after the name lookup and the route, as in ping4_run.
    expect(sh(lab, 'ping -c 1 -i 0 10.1.0.1')).toEqual({ stdout: '', stderr: 'ping: connect: Network is unreachable\n', status: 2 });
  });

  it('warns about garbage after -i and -W numbers and goes on with the number (ping_strtod)', () => {
    const lab = bootLab({ seed: 3 });
    const i = sh(lab, 'ping -c 2 -i 0.5x -q 10.0.0.1');
    expect(i.stderr).toBe(garbage('x'));
    expect(i.status).toBe(0);
    expect(i.stdout).toMatch(/2 packets transmitted, 2 received, 0% packet loss, time 50\dms/);
    const w = sh(lab, 'ping -c 1 -W 1x -q 10.0.0.1');
    expect(w.stderr).toBe(garbage('x'));
    expect(w.status).toBe(0);
    // No number at all reads as 0: an interval of 0, which a user may not have.
    const abc = sh(lab, 'ping -c 1 -i abc 10.0.0.1');
    expect({ stdout: abc.stdout, stderr: abc.stderr, status: abc.status }).toEqual({ stdout: header, stderr: garbage('abc') + flood, status: 2 });
    // On a terminal the warnings come first, the header, then the refusal.
    expect(combinedOutput(abc)).toBe(garbage('abc') + header + flood);
    expect(sh(lab, 'ping -c 1 -i inf 10.0.0.1')).toEqual({ stdout: '', stderr: 'ping: bad timing interval: inf: Numerical result out of range\n', status: 2 });
  });

  it('prints getopt\'s message, then usage() with its leading blank line, for an invalid option', () => {
    const lab = bootLab({ seed: 3 });
    const r = sh(lab, 'ping -Z 10.0.0.1');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith("ping: invalid option -- 'Z'\n\nUsage\n  ping [options] <destination>\n")).toBe(true);
    expect(sh(lab, 'ping -c').stderr.startsWith("ping: option requires an argument -- 'c'\n\nUsage\n")).toBe(true);
  });

  it('-M do above the MTU: each refused send prints its local error as it happens, before the statistics', () => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'sudo ip link set ntb0 mtu 1500').status).toBe(0);
    const r = sh(lab, 'ping -c 2 -i 0.2 -W 1 -M do -s 1473 10.0.0.1');
    const err = 'ping: local error: message too long, mtu=1500\n';
    expect(r.stderr).toBe(err + err);
    expect(r.status).toBe(1);
    expect(combinedOutput(r)).toMatch(new RegExp(`^PING 10\\.0\\.0\\.1 \\(10\\.0\\.0\\.1\\) 1473\\(1501\\) bytes of data\\.\\n${err}${err}\\n--- 10\\.0\\.0\\.1 ping statistics ---\\n2 packets transmitted, 0 received, \\+2 errors, 100% packet loss`));
  });

  it('resolves localhost through /etc/hosts and names the replies as pr_addr does', () => {
    const lab = bootLab({ seed: 3 });
    const r = sh(lab, 'ping -c 1 localhost');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^PING localhost \(127\.0\.0\.1\) 56\(84\) bytes of data\.\n64 bytes from localhost \(127\.0\.0\.1\): icmp_seq=1 ttl=64 time=\d+\.\d+ ms\n\n--- localhost ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\n/);
    expect(sh(lab, 'ping -c 1 ip6-localhost')).toEqual({ stdout: '', stderr: 'ping: ip6-localhost: Name or service not known\n', status: 2 });
  });

  it('pings 0.0.0.0 as the local host: the kernel routes INADDR_ANY to 127.0.0.1, which the header and the replies name', () => {
    const lab = bootLab({ seed: 3 });
    const r = sh(lab, 'ping -c 1 0.0.0.0');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^PING 0\.0\.0\.0 \(127\.0\.0\.1\) 56\(84\) bytes of data\.\n64 bytes from 127\.0\.0\.1: icmp_seq=1 ttl=64 time=\d+\.\d+ ms\n\n--- 0\.0\.0\.0 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\n/);
  });

  it('refuses a broadcast address without -b (connect: EACCES); with -b warns and sends, and nothing answers', () => {
    const lab = bootLab({ seed: 3 });
    const t0 = lab.sim.now;
    const ask = 'ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules\n';
    expect(sh(lab, 'ping -c 1 10.0.0.255')).toEqual({ stdout: '', stderr: ask, status: 2 });
    expect(sh(lab, 'ping -c 1 127.255.255.255')).toEqual({ stdout: '', stderr: ask, status: 2 });
    expect(lab.sim.now).toBe(t0);
    // A user's broadcast ping: at least 1 s apart, and never fragmented (checked before the header).
    expect(sh(lab, 'ping -b -c 1 -i 0.5 10.0.0.255')).toEqual({ stdout: '', stderr: 'WARNING: pinging broadcast address\nping: minimal interval for broadcast ping for user must be >= 1000 ms, use -i 1 (or higher)\n', status: 2 });
    expect(sh(lab, 'ping -b -c 1 -M want 10.0.0.1')).toEqual({ stdout: '', stderr: 'ping: broadcast ping does not fragment\n', status: 2 });
    // The model delivers no broadcast (as Linux answers none with icmp_echo_ignore_broadcasts=1): ping waits -W and reports the loss.
    const b = sh(lab, 'ping -b -c 1 -W 1 10.0.0.255');
    expect(b.stderr).toBe('WARNING: pinging broadcast address\n');
    expect(b.stdout).toBe('PING 10.0.0.255 (10.0.0.255) 56(84) bytes of data.\n\n--- 10.0.0.255 ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n\n');
    expect(b.status).toBe(1);
    expect(combinedOutput(b).startsWith('WARNING: pinging broadcast address\nPING 10.0.0.255')).toBe(true);
    // -b to a unicast address pings it as usual.
    expect(sh(lab, 'ping -b -c 1 -q 10.0.0.1')).toMatchObject({ stderr: '', status: 0 });
  });
});

describe('the iputils options of a latency measurement: -f -A -l -D -O -p -t -Q -S -I -n -H -U -v -a', () => {
  const sh = (lab: Lab, line: string, board: 'rc' | 'ep' = 'ep'): CommandResult => labSh(lab, board, line);
  const header = (dst = '10.0.0.1'): string => `PING ${dst} (${dst}) 56(84) bytes of data.\n`;
  const flood = 'ping: cannot flood, minimal interval for user must be >= 2 ms, use -i 0.002 (or higher)\n';
  const gaps = (t: readonly number[]): number[] => t.slice(1).map((x, i) => x - (t[i] as number));
  /** The `X.YYY` ms fields of the statistics' last line, by name (`ipg`, `ewma`, `avg`…). */
  const stat = (out: string, name: 'min' | 'avg' | 'max' | 'mdev' | 'ipg' | 'ewma'): number => {
    const rtt = /rtt min\/avg\/max\/mdev = ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(out);
    const ipg = /ipg\/ewma ([\d.]+)\/([\d.]+) ms/.exec(out);
    const v = { min: rtt?.[1], avg: rtt?.[2], max: rtt?.[3], mdev: rtt?.[4], ipg: ipg?.[1], ewma: ipg?.[2] }[name];
    if (v === undefined) throw new Error(`no ${name} in ${out}`);
    return Number(v);
  };

  it('-f floods: root only (after the header, as setup() checks), a `.` per request and a backspace per reply, each request as the last reply comes, ipg/ewma', () => {
    const lab = bootLab({ seed: 3 });
    const t0 = lab.sim.now;
    expect(sh(lab, 'ping -f -c 3 10.0.0.1')).toEqual({ stdout: header(), stderr: flood, status: 2 });
    expect(lab.sim.now).toBe(t0);
    sh(lab, 'ping -c 1 -q 10.0.0.1');
    const echo = echoes(lab);
    const r = sh(lab, 'sudo ping -f -c 5 10.0.0.1');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith(`${header()}${'.\b \b'.repeat(5)}\n--- 10.0.0.1 ping statistics ---\n5 packets transmitted, 5 received, 0% packet loss, time `)).toBe(true);
    // Back to back: each request leaves as soon as the reply before it is read (interval 0).
    expect(echo.requests).toHaveLength(5);
    for (let i = 1; i < 5; i++) expect((echo.requests[i] as number) - (echo.replies[i - 1] as number)).toBeLessThan(0.1e6);
    // ipg: the time from the first to the last request over the 4 gaps; ewma: the RTT's moving average.
    const mean = gaps(echo.requests).reduce((a, b) => a + b) / 4 / 1e6;
    expect(Math.abs(stat(r.stdout, 'ipg') - mean)).toBeLessThan(0.01);
    expect(stat(r.stdout, 'ewma')).toBeGreaterThanOrEqual(stat(r.stdout, 'min'));
    expect(stat(r.stdout, 'ewma')).toBeLessThanOrEqual(stat(r.stdout, 'max'));
    // A user may flood at -i 0.002 or more: the dots and backspaces, and ipg/ewma, still.
    const user = sh(lab, 'ping -f -i 0.002 -c 2 10.0.0.1');
    expect(user.status).toBe(0);
    expect(user.stdout.startsWith(`${header()}${'.\b \b'.repeat(2)}\n--- 10.0.0.1 ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss, time `)).toBe(true);
    expect(user.stdout).toMatch(/ms, ipg\/ewma [\d.]+\/[\d.]+ ms\n$/);
  });

  it('-f over lo sends one request per reply, thousands a second; -q keeps it quiet; a local error is an `E`, -a a BEL after the backspace', () => {
    const lab = bootLab({ seed: 3 });
    const q = sh(lab, 'sudo ping -f -q -c 2000 127.0.0.1');
    expect(q.stdout).toMatch(/^PING 127\.0\.0\.1 \(127\.0\.0\.1\) 56\(84\) bytes of data\.\n\n--- 127\.0\.0\.1 ping statistics ---\n2000 packets transmitted, 2000 received, 0% packet loss, time \d+ms\n/);
    // The time of 1999 round trips through lo (~54 µs each), nothing else between them.
    const ms = Number(/time (\d+)ms/.exec(q.stdout)?.[1]);
    expect(Math.abs(ms - 1999 * stat(q.stdout, 'ipg'))).toBeLessThanOrEqual(2);
    expect(stat(q.stdout, 'ipg')).toBeLessThan(0.1);
    const e = sh(lab, 'sudo ping -f -c 3 -M do -s 65500 10.0.0.1');
    expect(e.stdout).toBe('PING 10.0.0.1 (10.0.0.1) 65500(65528) bytes of data.\nEEE\n--- 10.0.0.1 ping statistics ---\n3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 20ms\n\n');
    expect(e.stderr).toBe('');
    expect(e.status).toBe(1);
    const a = sh(lab, 'sudo ping -f -a -c 2 127.0.0.1');
    expect(a.stdout).toContain(`\n${'.\b \b\x07'.repeat(2)}\n--- 127.0.0.1`);
  });

  it('-A adapts the interval to the RTT: ~8 ms over ntb0; over lo a user keeps 2 ms, root sends as each reply comes', () => {
    const lab = bootLab({ seed: 3 });
    sh(lab, 'ping -c 1 -q 10.0.0.1');
    let echo = echoes(lab);
    const r = sh(lab, 'ping -A -c 5 10.0.0.1');
    expect(r.status).toBe(0);
    // update_interval after each reply: (ewma + 500 µs) / 1000 ms, here 8 ms — not the 1 s default.
    const g = gaps(echo.requests);
    expect(g).toHaveLength(4);
    for (const x of g) expect(Math.round(x / 1e6)).toBe(Math.round(stat(r.stdout, 'ewma')));
    expect(stat(r.stdout, 'ipg')).toBeCloseTo(stat(r.stdout, 'ewma'), 0);
    echo = echoes(lab);
    const user = sh(lab, 'ping -A -c 5 -q 127.0.0.1');
    // The user's floor: 2 ms, which main_loop waits out spinning (nothing in flight, due within a jiffy).
    for (const x of gaps(echo.requests.slice(-5))) expect(x / 1e6).toBeCloseTo(2, 2);
    expect(stat(user.stdout, 'ipg')).toBe(2);
    echo = echoes(lab);
    const root = sh(lab, 'sudo ping -A -c 5 -q 127.0.0.1');
    for (const x of gaps(echo.requests.slice(-5))) expect(x / 1e6).toBeLessThan(0.1);
    expect(stat(root.stdout, 'ipg')).toBeLessThan(0.1);
  });

  it('-l sends the preload at once (pipe N); a user may preload 3 at most, root up to 65536 with an interval below INT_MAX / preload', () => {
    const lab = bootLab({ seed: 3 });
    sh(lab, 'ping -c 1 -q 10.0.0.1');
    const echo = echoes(lab);
    const r = sh(lab, 'ping -l 3 -c 3 -q 10.0.0.1');
    expect(r.stdout).toMatch(/\n3 packets transmitted, 3 received, 0% packet loss, time 0ms\nrtt [^\n]* ms, pipe 3\n$/);
    expect(echo.requests).toHaveLength(3);
    expect((echo.requests[2] as number) - (echo.requests[0] as number)).toBeLessThan((echo.replies[0] as number) - (echo.requests[0] as number));
    const t0 = lab.sim.now;
    expect(sh(lab, 'ping -l 4 -c 3 10.0.0.1')).toEqual({ stdout: '', stderr: 'ping: cannot set preload to value greater than 3: 4\n', status: 2 });
    expect(sh(lab, 'sudo ping -l 65537 -c 1 10.0.0.1')).toEqual({ stdout: '', stderr: "ping: invalid argument: '65537': out of range: 1 <= value <= 65536\n", status: 1 });
    // 65536 requests' worth of SO_RCVBUF is beyond rmem_max: sock_setbufs warns before the header; setup() then refuses 100 s × 65536.
    const illegal = sh(lab, 'sudo ping -l 65536 -i 100 -c 1 10.0.0.1');
    expect({ stdout: illegal.stdout, stderr: illegal.stderr, status: illegal.status }).toEqual({ stdout: header(), stderr: 'ping: WARNING: probably, rcvbuf is not enough to hold preload\nping: illegal preload and/or interval: 100000\n', status: 2 });
    expect(combinedOutput(illegal).startsWith('ping: WARNING: probably, rcvbuf is not enough to hold preload\nPING ')).toBe(true);
    expect(sh(lab, 'sudo ping -l 3 -i 715827.882 -c 1 10.0.0.1')).toEqual({ stdout: header(), stderr: 'ping: illegal preload and/or interval: 715827882\n', status: 2 });
    expect(lab.sim.now).toBe(t0);
    expect(sh(lab, 'sudo ping -l 5 -c 5 -q 10.0.0.1').stdout).toMatch(/, pipe 5\n$/);
    // SO_RCVBUF of 2000 requests' estimate (324 bytes each) is over rmem_max: iputils warns, and goes on.
    const big = sh(lab, 'sudo ping -l 2000 -c 1 -q 10.0.0.1');
    expect(big.stderr).toBe('ping: WARNING: probably, rcvbuf is not enough to hold preload\n');
    expect(big.status).toBe(0);
    expect(sh(lab, 'sudo ping -l 1000 -c 1 -q 10.0.0.1').stderr).toBe('');
  });

  it('-D stamps each line with the board\'s wall clock (the lab epoch plus virtual time) when ping prints it', () => {
    const lab = bootLab({ seed: 3 });
    const echo = echoes(lab);
    const r = sh(lab, 'ping -D -c 2 -i 0.5 10.0.0.1');
    const stamps = [...r.stdout.matchAll(/^\[(\d+)\.(\d{6})\] 64 bytes from 10\.0\.0\.1: icmp_seq=\d ttl=64 time=[\d.]+ ms$/gm)].map((m) => Number(m[1]) * 1e6 + Number(m[2]));
    expect(stamps).toHaveLength(2);
    // Printed as the task reads the reply, a few µs after NET_RX took it.
    stamps.forEach((us, i) => {
      const rx = LAB_EPOCH_SECONDS * 1e6 + (echo.replies[i] as number) / 1000;
      expect(us - rx).toBeGreaterThanOrEqual(0);
      expect(us - rx).toBeLessThan(100);
    });
  });

  it('-O reports a request still unanswered when the next goes out, after the errors that came meanwhile', () => {
    const lab = bootLab({ seed: 3 });
    const r = sh(lab, 'ping -O -c 4 10.0.0.9');
    expect(r.stdout).toBe(
      'PING 10.0.0.9 (10.0.0.9) 56(84) bytes of data.\n' +
        'no answer yet for icmp_seq=1\nno answer yet for icmp_seq=2\n' +
        // ARP gives up after 3 s: host unreachable for the three requests queued on it.
        'From 10.0.0.2 icmp_seq=1 Destination Host Unreachable\nFrom 10.0.0.2 icmp_seq=2 Destination Host Unreachable\nFrom 10.0.0.2 icmp_seq=3 Destination Host Unreachable\n' +
        // An error does not set the received bit: the 4th request still finds the 3rd unanswered.
        'no answer yet for icmp_seq=3\nFrom 10.0.0.2 icmp_seq=4 Destination Host Unreachable\n' +
        '\n--- 10.0.0.9 ping statistics ---\n4 packets transmitted, 0 received, +4 errors, 100% packet loss, time 3000ms\npipe 3\n',
    );
    expect(r.status).toBe(1);
    // Replies within the interval leave nothing to report; -D stamps the report too.
    expect(sh(lab, 'ping -O -c 2 -i 0.2 -q 10.0.0.1').stdout).not.toContain('no answer');
    expect(sh(lab, 'ping -O -D -b -c 2 -W 1 10.0.0.255').stdout).toMatch(/\n\[\d+\.\d{6}\] no answer yet for icmp_seq=1\n\n---/);
  });

  it('-p fills the payload with the pattern (fill(): PATTERN printed as parsed, unless -q came first); a non-hex pattern fails', () => {
    const lab = bootLab({ seed: 3, payload: 'functional' });
    const payloads: Uint8Array[] = [];
    lab.boards.rc.stack.addPacketTap((skb) => {
      if (skb.l4.kind === 'icmp' && skb.l4.type === 8 && skb.data !== null) payloads.push(skb.data.slice());
    });
    const r = sh(lab, 'ping -p abc -c 1 -s 40 10.0.0.1');
    expect(r.stdout.startsWith('PATTERN: 0xab0c\nPING 10.0.0.1 (10.0.0.1) 40(68) bytes of data.\n48 bytes from 10.0.0.1: icmp_seq=1')).toBe(true);
    const [data] = payloads;
    if (data === undefined) throw new Error('no request seen');
    // The send time's struct timeval (little-endian seconds, then microseconds), then the pattern from byte 16.
    const view = new DataView(data.buffer, data.byteOffset);
    expect(Number(view.getBigUint64(0, true))).toBe(LAB_EPOCH_SECONDS + Math.floor(lab.sim.now / 1e9));
    expect(Number(view.getBigUint64(8, true))).toBeLessThan(1e6);
    expect([...data.slice(16)]).toEqual(Array.from({ length: 24 }, (_, i) => [0xab, 0x0c][(16 + i) % 2]));
    sh(lab, 'ping -c 1 -s 40 -q 10.0.0.1');
    expect([...(payloads[1] ?? []).slice(16)]).toEqual(Array.from({ length: 24 }, (_, i) => 16 + i));
    expect(sh(lab, 'ping -q -p ff -c 1 10.0.0.1').stdout.startsWith('PING ')).toBe(true);
    expect(sh(lab, 'ping -p ff -q -c 1 10.0.0.1').stdout.startsWith('PATTERN: 0xff\nPING ')).toBe(true);
    expect(sh(lab, "ping -p '' -c 1 -q 10.0.0.1").stdout.startsWith('PATTERN: 0x\nPING ')).toBe(true);
    const t0 = lab.sim.now;
    expect(sh(lab, 'ping -p 12g4 -c 1 10.0.0.1')).toEqual({ stdout: '', stderr: 'ping: patterns must be specified as hex digits: g4\n', status: 2 });
    // What fill() printed stays printed when a later option fails.
    expect(sh(lab, 'ping -p 0102 -c 0 10.0.0.1')).toEqual({ stdout: 'PATTERN: 0x0102\n', stderr: "ping: invalid argument: '0': out of range: 1 <= value <= 9223372036854775807\n", status: 1 });
    expect(lab.sim.now).toBe(t0);
  });

  it('-t sets the requests\' TTL (IP_TTL: 0 is refused), -Q their TOS byte (parsetos: hex or decimal, at most 255)', () => {
    const lab = bootLab({ seed: 3 });
    const echo = echoes(lab);
    // One hop: a request with TTL 1 arrives; the reply carries the RC's default TTL.
    expect(sh(lab, 'ping -t 1 -c 1 10.0.0.1').stdout).toContain('icmp_seq=1 ttl=64 ');
    expect(sh(lab, 'ping -Q 0x10 -c 1 -q 10.0.0.1').status).toBe(0);
    expect(sh(lab, 'ping -Q 46 -t 200 -c 1 -q 10.0.0.1').status).toBe(0);
    // A negative TOS passes parsetos; IP_TOS keeps its low byte.
    expect(sh(lab, 'ping -Q -1 -c 1 -q 10.0.0.1').status).toBe(0);
    expect(echo.atRc).toEqual(['ttl 1 tos 0x0', 'ttl 64 tos 0x10', 'ttl 200 tos 0x2e', 'ttl 64 tos 0xff']);
    const t0 = lab.sim.now;
    expect(sh(lab, 'ping -t 0 -c 1 10.0.0.1')).toEqual({ stdout: '', stderr: 'ping: cannot set unicast time-to-live: Invalid argument\n', status: 2 });
    expect(sh(lab, 'ping -t 256 -c 1 10.0.0.1')).toEqual({ stdout: '', stderr: "ping: invalid argument: '256': out of range: 0 <= value <= 255\n", status: 1 });
    expect(sh(lab, 'ping -Q 256 -c 1 10.0.0.1')).toEqual({ stdout: '', stderr: 'ping: the decimal value of TOS bits must be in range 0-255: 256\n', status: 2 });
    expect(sh(lab, 'ping -Q 0x1g -c 1 10.0.0.1')).toEqual({ stdout: '', stderr: 'ping: bad TOS value: 0x1g\n', status: 2 });
    // strtol saturates to LONG_MAX, and the (int) cast keeps its low 32 bits.
    expect(sh(lab, 'ping -Q 99999999999 -c 1 10.0.0.1').stderr).toBe('ping: the decimal value of TOS bits must be in range 0-255: 1215752191\n');
    expect(lab.sim.now).toBe(t0);
    expect(echo.atRc).toHaveLength(4);
  });

  it("-Q 0x10 under the seed's test: the requests go in pfifo_fast's interactive band, ahead of the bulk data queued on the EP's ntb0, and the RTT falls", () => {
    const lab = bootLab({ seed: 1, sysctl: { 'net.core.wmem_max': 1 << 30, 'net.core.rmem_max': 1 << 30 } });
    expect(sh(lab, 'sudo iperf3 -s -D', 'rc').status).toBe(0);
    expect(sh(lab, 'sudo iperf3 -Z -c 10.0.0.1 -l 65480 -w 512M -P 4 -t 8 -i 0 &').status).toBe(0);
    sh(lab, 'sleep 1');
    const plain = stat(sh(lab, 'ping -i 0.2 -c 15 -q 10.0.0.1').stdout, 'avg');
    const interactive = stat(sh(lab, 'ping -i 0.2 -c 15 -q -Q 0x10 10.0.0.1').stdout, 'avg');
    expect(plain).toBeGreaterThan(20);
    expect(interactive).toBeLessThan(plain * 0.8);
    sh(lab, 'wait');
  });

  it('-S sets SO_SNDBUF: one request fragmented beyond twice that is ENOBUFS, retried until -W, then sendmsg\'s error', () => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'sudo ip link set ntb0 mtu 1500').status).toBe(0);
    // By default the buffer is iputils' estimate for the request (~90 KB for 60000 bytes): its 41 fragments fit.
    expect(sh(lab, 'ping -c 1 -q -s 60000 10.0.0.1').stdout).toContain('1 packets transmitted, 1 received');
    const echo = echoes(lab);
    const r = sh(lab, 'ping -S 1 -c 1 -W 1 -s 60000 10.0.0.1');
    expect(r.stderr).toBe('ping: sendmsg: No buffer space available\n');
    // ENOBUFS: retried when pinger()'s tokens allow (1 s later); the second failure reaches -W's 1 s (2 × 500 ms back-off), a hard error.
    expect(r.stdout).toBe('PING 10.0.0.1 (10.0.0.1) 60000(60028) bytes of data.\n\n--- 10.0.0.1 ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 1000ms\n\n');
    expect(r.status).toBe(1);
    expect(echo.requests).toEqual([]);
    expect(sh(lab, 'ping -S 0 -c 1 10.0.0.1')).toEqual({ stdout: '', stderr: "ping: invalid argument: '0': out of range: 1 <= value <= 2147483647\n", status: 1 });
  });

  it('-I binds to a device (SO_BINDTODEVICE) or a source address, named in the header; an unknown one fails as iputils does', () => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'ping -I ntb0 -c 1 10.0.0.1').stdout).toMatch(/^PING 10\.0\.0\.1 \(10\.0\.0\.1\) from 10\.0\.0\.2 ntb0: 56\(84\) bytes of data\.\n64 bytes from 10\.0\.0\.1: icmp_seq=1 /);
    expect(sh(lab, 'ping -I 10.0.0.2 -c 1 10.0.0.1').stdout).toMatch(/^PING 10\.0\.0\.1 \(10\.0\.0\.1\) from 10\.0\.0\.2 : 56\(84\) bytes of data\.\n64 bytes from 10\.0\.0\.1: icmp_seq=1 /);
    expect(sh(lab, 'ping -I lo -c 1 127.0.0.1').stdout).toMatch(/^PING 127\.0\.0\.1 \(127\.0\.0\.1\) from 127\.0\.0\.1 lo: 56\(84\) bytes of data\.\n64 bytes from 127\.0\.0\.1: icmp_seq=1 /);
    const t0 = lab.sim.now;
    expect(sh(lab, 'ping -I ntb9 -c 1 10.0.0.1')).toEqual({ stdout: '', stderr: 'ping: SO_BINDTODEVICE ntb9: No such device\n', status: 2 });
    expect(sh(lab, 'ping -I 10.0.0.7 -c 1 10.0.0.1')).toEqual({ stdout: '', stderr: 'ping: bind: Cannot assign requested address\n', status: 2 });
    expect(sh(lab, 'ping -I fe80::1 -c 1 10.0.0.1')).toEqual({ stdout: '', stderr: "ping: -I with an IPv6 address: not supported by the lab's ping\n", status: 2 });
    expect(lab.sim.now).toBe(t0);
    expect(lab.boards.ep.stack.socketTables().ping.size).toBe(0);
    // The source the route picks is not lo's: iputils warns.
    expect(sh(lab, 'ping -I lo -c 1 -W 1 -q 10.0.0.1').stderr).toBe('ping: Warning: source address might be selected on device other than: lo\n');
    // Bound to ntb0, an address no route reaches is tried on link there (ARP, then host unreachable) instead of connect's ENETUNREACH.
    expect(sh(lab, 'ping -c 1 192.168.7.1')).toEqual({ stdout: '', stderr: 'ping: connect: Network is unreachable\n', status: 2 });
    const onLink = sh(lab, 'ping -I ntb0 -c 1 192.168.7.1');
    expect(onLink.stdout).toBe('PING 192.168.7.1 (192.168.7.1) from 10.0.0.2 ntb0: 56(84) bytes of data.\nFrom 10.0.0.2 icmp_seq=1 Destination Host Unreachable\n\n--- 192.168.7.1 ping statistics ---\n1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms\n\n');
    expect(onLink.status).toBe(1);
  });

  it('-n prints addresses only, -H looks a numeric destination\'s replies up (the later of the two wins); -U measures as the lab always does', () => {
    const lab = bootLab({ seed: 3 });
    const from = (line: string): string => /^64 bytes from (.*): icmp_seq/m.exec(sh(lab, line).stdout)?.[1] ?? '';
    expect(from('ping -c 1 localhost')).toBe('localhost (127.0.0.1)');
    expect(from('ping -n -c 1 localhost')).toBe('127.0.0.1');
    expect(from('ping -c 1 127.0.0.1')).toBe('127.0.0.1');
    expect(from('ping -H -c 1 127.0.0.1')).toBe('localhost (127.0.0.1)');
    expect(from('ping -H -n -c 1 127.0.0.1')).toBe('127.0.0.1');
    expect(from('ping -n -H -c 1 127.0.0.1')).toBe('localhost (127.0.0.1)');
    const run = (line: string): string => sh(bootLab({ seed: 5 }), line).stdout;
    expect(run('ping -U -c 3 -i 0.2 10.0.0.1')).toBe(run('ping -c 3 -i 0.2 10.0.0.1'));
  });

  it('-v prints the sockets ping opened (no IPv6 in the lab kernel) and the address it resolved; -a rings a BEL with each reply', () => {
    const lab = bootLab({ seed: 3 });
    const v = sh(lab, 'ping -v -c 1 localhost');
    expect(v.stderr).toBe('ping: socktype: SOCK_DGRAM\nping: socket: Address family not supported by protocol\nping: sock4.fd: 3 (socktype: SOCK_DGRAM), sock6.fd: -1 (socktype: SOCK_DGRAM), hints.ai_family: AF_INET\n\n');
    expect(v.stdout).toMatch(/^ai->ai_family: AF_INET, ai->ai_canonname: 'localhost'\nPING localhost \(127\.0\.0\.1\) 56\(84\) bytes of data\.\n64 bytes from localhost \(127\.0\.0\.1\): icmp_seq=1 ttl=64 time=[\d.]+ ms\n/);
    expect(combinedOutput(v).startsWith(`${v.stderr}ai->ai_family`)).toBe(true);
    expect(sh(lab, 'ping -v -c 1 nohost').stderr).toBe(`${v.stderr}ping: nohost: Name or service not known\n`);
    const a = sh(lab, 'ping -a -c 2 -i 0.2 10.0.0.1');
    expect(a.stdout.split(' ms\x07\n')).toHaveLength(3);
    expect(sh(lab, 'ping -a -q -c 1 10.0.0.1').stdout).not.toContain('\x07');
  });

  it('refuses what needs a mechanism the model lacks, by name, before anything happens', () => {
    const lab = bootLab({ seed: 3 });
    const t0 = lab.sim.now;
    for (const [opt, c] of [['-R', 'R'], ['-T tsonly', 'T'], ['-6', '6'], ['-F 1', 'F'], ['-N name', 'N'], ['-B', 'B'], ['-C', 'C'], ['-d', 'd'], ['-e 7', 'e'], ['-L', 'L'], ['-m 1', 'm'], ['-r', 'r']] as const) {
      expect(sh(lab, `ping ${opt} -c 1 10.0.0.1`)).toEqual({ stdout: '', stderr: `ping: -${c}: not supported by the lab's ping\n`, status: 2 });
    }
    expect(lab.sim.now).toBe(t0);
  });

  it('gives the same output for the same seed', () => {
    const run = (): string => {
      const lab = bootLab({ seed: 11 });
      return ['sudo ping -f -c 50 10.0.0.1', 'ping -A -c 5 10.0.0.1', 'ping -l 3 -c 6 -D 10.0.0.1', 'ping -O -c 2 10.0.0.9'].map((l) => combinedOutput(sh(lab, l))).join('');
    };
    expect(run()).toBe(run());
  });
});
