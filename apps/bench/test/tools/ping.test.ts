import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { labCommands } from '../../src/commands.js';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { defaultVars } from '../../src/lab/script.js';
import { runLine } from '../../src/lab/shell.js';
import { combinedOutput } from '../../src/tools/output.js';
import type { CommandResult } from '../../src/types.js';
import { formatPingHeader, formatPingReply, formatPingStatistics, formatTripTime, ping } from '../../src/tools/ping.js';

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
    expect(formatPingStatistics('h', { ...base, pipesize: 3, zeroInterval: true, ewma8: 40_123 })).toMatch(/ms, pipe 3, ipg\/ewma 1\.000\/5\.015 ms\n$/);
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
    expect(r.stdout).toMatch(/^PING 10\.0\.0\.1 \(10\.0\.0\.1\) 56\(84\) bytes of data\.\n(64 bytes from 10\.0\.0\.1: icmp_seq=[123] ttl=64 time=\d+(\.\d+)? ms\n){3}\n--- 10\.0\.0\.1 ping statistics ---\n3 packets transmitted, 3 received, 0% packet loss, time 400ms\nrtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms\n$/);
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
  const sh = (lab: Lab, line: string): CommandResult => runLine(line, { lab, board: lab.boards.ep, vars: defaultVars(lab, lab.boards.ep) }, labCommands());
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
    const root = sh(lab, 'sudo ping -c 3 -i 0.001 -q 10.0.0.1');
    expect(root.stderr).toBe('');
    expect(root.status).toBe(0);
    expect(root.stdout).toContain('3 packets transmitted, 3 received, 0% packet loss');
    // All three were sent before the first reply (1 ms apart, RTT ~5 ms): pipe 3.
    expect(root.stdout).toMatch(/ ms, pipe 3\n$/);
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
