import { describe, expect, it } from 'vitest';
import { labCommands } from '../../../src/commands.js';
import { bootLab, seedMwSizes, type Lab } from '../../../src/lab/lab.js';
import { runScript } from '../../../src/lab/script.js';
import { iperf3, oneShotServerError, stopServers, takeServerOutput } from '../../../src/tools/iperf3/index.js';
import { combinedOutput, writesOf } from '../../../src/tools/output.js';
import { USAGE_SHORT } from '../../../src/tools/iperf3/options.js';
import type { CommandResult } from '../../../src/types.js';

function lab(seed = 11, raise = true): Lab {
  const l = bootLab({ seed });
  if (raise) {
    for (const b of [l.boards.rc, l.boards.ep]) {
      b.stack.setSysctl('net.core.wmem_max', 1 << 30);
      b.stack.setSysctl('net.core.rmem_max', 1 << 30);
    }
  }
  return l;
}

function run(l: Lab, board: 'rc' | 'ep', line: string): CommandResult {
  return iperf3(['iperf3', ...line.split(' ')], { lab: l, board: l.boards[board], vars: new Map() });
}

/** Let the server finish its side (IPERF_DONE) and take what it printed. */
function serverText(l: Lab): string {
  l.sim.run({ until: l.sim.now + 50_000_000 });
  return takeServerOutput(l.boards.rc);
}

const SUM_RX = /\[SUM\] {3}0\.00-\d+\.\d\d +sec  +[\d.]+ [KMG]?Bytes  +([\d.]+) ([KMG]?)bits\/sec +(?:[\d.]+ ms {2}\d+\/\d+ \([\d.e+-]+%\) {2})?receiver\n/;

describe('iperf3 in the lab', () => {
  it("runs the seed's TCP test (-Z -l 65480 -w 512M -P 4) with iperf3's layout", () => {
    const l = lab();
    expect(run(l, 'rc', '-s').stdout).toBe('-----------------------------------------------------------\nServer listening on 5201 (test #1)\n-----------------------------------------------------------\n');
    const r = run(l, 'ep', '-Z -c 10.0.0.1 -l 65480 -w 512M -P 4 -t 2');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Connecting to host 10.0.0.1, port 5201');
    expect(lines.slice(1, 5).map((s) => s.replace(/port \d+ connected/, 'port P connected'))).toEqual([5, 7, 9, 12].map((fd) => `[${String(fd).padStart(3)}] local 10.0.0.2 port P connected to 10.0.0.1 port 5201`));
    expect(lines[5]).toBe('[ ID] Interval           Transfer     Bitrate         Retr  Cwnd');
    expect(r.stdout).toMatch(/\[ {2}5\] {3}0\.00-1\.00 {3}sec  +[\d.]+ [KMG]?Bytes  +[\d.]+ [KMG]?bits\/sec  +\d+  +[\d.]+ [KMG]?Bytes {7}\n/);
    expect(r.stdout).toContain('- - - - - - - - - - - - - - - - - - - - - - - - -\n[ ID] Interval           Transfer     Bitrate         Retr\n');
    expect(r.stdout.endsWith(' receiver\n\niperf Done.\n')).toBe(true);
    const m = SUM_RX.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Number(m?.[1])).toBeGreaterThan(100);
    const srv = serverText(l);
    expect(srv).toMatch(/^Accepted connection from 10\.0\.0\.2, port \d+\n\[ {2}5\] local 10\.0\.0\.1 port 5201 connected to 10\.0\.0\.2 port \d+\n/);
    expect(srv).toMatch(/\[SUM\] {3}0\.00-\d\.\d\d +sec .* receiver\n-----------------------------------------------------------\nServer listening on 5201 \(test #2\)\n/);
  });

  it("runs the seed's UDP test (-ub0 -l 65480 -w 512M -P 4) and reports datagrams, jitter and loss", () => {
    const l = lab();
    run(l, 'rc', '-s');
    takeServerOutput(l.boards.rc);
    const r = run(l, 'ep', '-ub0 -c 10.0.0.1 -l 65480 -w 512M -P 4 -t 1');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^warning: UDP block size 65480 exceeds TCP MSS \d+, may result in fragmentation \/ drops\n$/);
    expect(r.stdout).toContain('[ ID] Interval           Transfer     Bitrate         Total Datagrams\n');
    expect(r.stdout).toContain('[ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams\n');
    expect(r.stdout).toMatch(/\[SUM\] {3}0\.00-1\.00 {3}sec .* 0\.000 ms {2}0\/\d+ \(0%\) {2}sender\n/);
    expect(r.stdout).toMatch(SUM_RX);
  });

  it("UDP streams: the server's stream sockets are its port, connected to the client's (iperf_udp_accept), in text and -J, each way", () => {
    const l = lab();
    run(l, 'rc', '-s');
    takeServerOutput(l.boards.rc);
    const r = run(l, 'ep', '-u -b 10M -c 10.0.0.1 -P 2 -t 1');
    expect(r.status).toBe(0);
    const clientPorts = [...r.stdout.matchAll(/^\[ {2}(\d)\] local 10\.0\.0\.2 port (\d+) connected to 10\.0\.0\.1 port 5201$/gm)].map((m) => [m[1], m[2]]);
    expect(clientPorts).toHaveLength(2);
    const srv = serverText(l);
    for (const [fd, port] of clientPorts) expect(srv).toContain(`[  ${fd}] local 10.0.0.1 port 5201 connected to 10.0.0.2 port ${port}\n`);
    expect(srv).not.toMatch(/local 10\.0\.0\.1 port (?!5201 )\d+ connected/);
    // Reverse: the server sends from its port to the connected client sockets, which take it.
    const rev = run(l, 'ep', '-u -b 10M -c 10.0.0.1 -R -t 1 -J');
    const j = JSON.parse(rev.stdout) as { start: { connected: { local_port: number; remote_port: number }[] }; end: { sum_received: { packets: number; lost_packets: number } } };
    expect(j.start.connected[0]?.remote_port).toBe(5201);
    expect(j.end.sum_received.packets).toBeGreaterThan(0);
    expect(j.end.sum_received.lost_packets).toBe(0);
    const srvJ = lab();
    run(srvJ, 'rc', '-s -J');
    const c = JSON.parse(run(srvJ, 'ep', '-u -c 10.0.0.1 -t 1 -J').stdout) as { start: { connected: { local_port: number }[] } };
    const sj = JSON.parse(serverText(srvJ)) as { start: { connected: { local_port: number; remote_port: number }[] } };
    expect(sj.start.connected).toEqual([expect.objectContaining({ local_port: 5201, remote_port: c.start.connected[0]?.local_port })]);
  });

  it("prints the UDP block size warning where iperf3 does: on stderr, before 'Connecting to host' on a terminal or with 2>&1; stdout alone is unchanged", () => {
    const l = lab();
    run(l, 'rc', '-s');
    const r = run(l, 'ep', '-u -b 10M -c 10.0.0.1 -l 65480 -t 1');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^warning: UDP block size 65480 exceeds TCP MSS \d+, may result in fragmentation \/ drops\n$/);
    expect(r.stdout).toMatch(/^Connecting to host 10\.0\.0\.1, port 5201\n[^]*\niperf Done\.\n$/);
    expect(writesOf(r).map((w) => w.fd)).toEqual([2, 1]);
    expect(combinedOutput(r)).toBe(r.stderr + r.stdout);
    // With -J the JSON is all of stdout; the warnings (parse_arguments' first) precede it.
    const j = run(l, 'ep', '-u -b 10M -c 10.0.0.1 -l 65480 -t 1 -J -f m');
    expect(JSON.parse(j.stdout)).toHaveProperty('end');
    expect(j.stderr).toMatch(/^warning: Report format \(-f\) flag ignored with JSON output \(-J\)\nwarning: UDP block size 65480 exceeds TCP MSS/);
    expect(combinedOutput(j)).toBe(j.stderr + j.stdout);
    // A test without warnings keeps the plain stdout-then-stderr result.
    expect(writesOf(run(l, 'ep', '-c 10.0.0.1 -t 1'))).toEqual([expect.objectContaining({ fd: 1 }), { fd: 2, text: '' }]);
  });

  it('honours --bind-dev ntb0 and -c HOST%ntb0 (every route is ntb0\'s); a device the board lacks is ENODEV, from netdial or netannounce', () => {
    const l = lab();
    run(l, 'rc', '-s');
    expect(run(l, 'ep', '-c 10.0.0.1 -t 1 --bind-dev ntb0').status).toBe(0);
    expect(run(l, 'ep', '-u -c 10.0.0.1%ntb0 -t 1').status).toBe(0);
    const enodev = 'iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: No such device\n';
    expect(run(l, 'ep', '-c 10.0.0.1 -t 1 --bind-dev eth9')).toEqual({ stdout: '', stderr: enodev, status: 1 });
    expect(run(l, 'ep', '-c 10.0.0.1%eth9 -t 1')).toEqual({ stdout: '', stderr: enodev, status: 1 });
    expect(run(l, 'rc', '-s -p 5300 --bind-dev eth9')).toEqual({ stdout: '', stderr: 'iperf3: error - unable to start listener for connections: No such device\niperf3: exiting\n', status: 1 });
    expect(run(l, 'rc', '-s -p 5300 --bind-dev ntb0').status).toBe(0);
    expect(run(l, 'ep', '-c 10.0.0.1 -p 5300 -t 1').status).toBe(0);
  });

  it('runs all the streams of a side on one task, as single-threaded iperf3 3.12 does', () => {
    const l = lab();
    run(l, 'rc', '-s');
    takeServerOutput(l.boards.rc);
    const userNs = (b: 'rc' | 'ep') => l.boards[b].host.usage().map((u) => u.user);
    const before = { rc: userNs('rc'), ep: userNs('ep') };
    const t0 = l.sim.now;
    const r = run(l, 'ep', '-ub0 -c 10.0.0.1 -l 65480 -w 512M -P 4 -t 1 -J');
    expect(r.status).toBe(0);
    const elapsed = l.sim.now - t0;
    for (const b of ['rc', 'ep'] as const) {
      const busy = userNs(b).map((ns, cpu) => (ns - (before[b][cpu] ?? 0)) / elapsed).filter((f) => f > 0.01);
      expect(busy, `${b}: CPUs with more than 1% of user time`).toHaveLength(1);
    }
    const cpu = (JSON.parse(r.stdout) as { end: { cpu_utilization_percent: { host_total: number } } }).end.cpu_utilization_percent;
    expect(cpu.host_total).toBeGreaterThan(10);
    expect(cpu.host_total).toBeLessThanOrEqual(100);
  });

  it("a control connection the server resets (a busy server's close with the client's cookie unread) is IERECVMESSAGE with errno, not IECTRLCLOSE", () => {
    // Seed 63353's per-bit test leaves its streams' data draining behind the RC's ACK queue
    // after the client is done, so the server is still in that test when the next client
    // connects; its ACCESS_DENIED byte is dropped at the RC's full qdisc and its close, with
    // the cookie unread, sends a RST.
    const l = bootLab({ seed: 63353, doorbell: { rc: 'per-bit', ep: 'per-bit' }, vntb: { mwSizes: seedMwSizes(2) }, params: { transport: {}, netdev: { queues: 2 } }, sysctl: { 'net.core.wmem_max': 1 << 30, 'net.core.rmem_max': 1 << 30 } });
    const script = ['rc$ echo 2 > /proc/irq/19/smp_affinity', 'rc$ echo 4 > /proc/irq/20/smp_affinity', 'rc$ iperf3 -s -D', 'ep$ iperf3 -Z -c 10.0.0.1 -l 65480 -w 512M -P 4 -t 8 -i 0 &', 'ep$ sleep 6', 'ep$ wait', 'rc$ ss -tan', 'ep$ iperf3 -c 10.0.0.1 -t 1 -i 0'].join('\n');
    const r = runScript(l, script, { name: 'reset.lab', keepGoing: true, commands: labCommands() });
    const last = r.steps.at(-1)?.result;
    expect(last).toMatchObject({ status: 1, stderr: 'iperf3: error - unable to receive control message: Connection reset by peer\n' });
    expect(l.boards.rc.stack.snmp.Tcp.OutRsts).toBeGreaterThan(0);
  });

  it('pins iperf3 with -A n (client, server) and -A n,m (the server for this test), as sched_setaffinity does', () => {
    const l = lab();
    const userNs = (b: 'rc' | 'ep') => l.boards[b].host.usage().map((u) => u.user);
    const busyCpus = (b: 'rc' | 'ep', before: number[]) => userNs(b).flatMap((ns, cpu) => (ns - (before[cpu] ?? 0) > 1_000_000 ? [cpu] : []));
    expect(run(l, 'rc', '-s -A 3').status).toBe(0);
    takeServerOutput(l.boards.rc);
    let before = { rc: userNs('rc'), ep: userNs('ep') };
    expect(run(l, 'ep', '-u -b 200M -c 10.0.0.1 -l 65480 -w 512M -P 4 -t 1 -A 6').status).toBe(0);
    expect(busyCpus('ep', before.ep)).toEqual([6]);
    expect(busyCpus('rc', before.rc)).toEqual([3]);
    before = { rc: userNs('rc'), ep: userNs('ep') };
    expect(run(l, 'ep', '-u -b 200M -c 10.0.0.1 -l 65480 -w 512M -P 4 -t 1 -A 5,4').status).toBe(0);
    expect(busyCpus('ep', before.ep)).toEqual([5]);
    expect(busyCpus('rc', before.rc)).toContain(4);
    takeServerOutput(l.boards.rc);
    const bad = run(l, 'ep', '-c 10.0.0.1 -t 1 -A 1,9');
    expect(bad).toMatchObject({ status: 1, stderr: 'iperf3: error - control socket has closed unexpectedly\n' });
    expect(serverText(l)).toContain('iperf3: error - unable to set CPU affinity: Invalid argument\n');
    expect(run(l, 'ep', '-c 10.0.0.1 -t 1').status).toBe(0);
  });

  it('paces UDP at the -b rate and loses nothing below the link rate', () => {
    const l = lab();
    run(l, 'rc', '-s');
    const r = run(l, 'ep', '-u -b 50M -c 10.0.0.1 -t 2 -J');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { end: { sum_sent: { bits_per_second: number; packets: number }; sum_received: { lost_packets: number; packets: number } } };
    expect(j.end.sum_sent.bits_per_second / 50e6).toBeCloseTo(1, 2);
    expect(j.end.sum_received.lost_packets).toBe(0);
    expect(j.end.sum_received.packets).toBeGreaterThan(0);
  });

  it('prints -J as iperf3 3.12 does, with sums even for one stream', () => {
    const l = lab();
    run(l, 'rc', '-s');
    const r = run(l, 'ep', '-c 10.0.0.1 -t 1 -J');
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('{\n\t"start":\t{\n\t\t"connected":\t[{\n\t\t\t\t"socket":\t5,\n')).toBe(true);
    const j = JSON.parse(r.stdout) as { start: { tcp_mss_default: number; test_start: { protocol: string } }; intervals: unknown[]; end: { sum_sent: { bytes: number }; sum_received: { bytes: number; bits_per_second: number } } };
    expect(j.start.test_start.protocol).toBe('TCP');
    expect(j.start.tcp_mss_default).toBeGreaterThan(1000);
    expect(j.intervals).toHaveLength(1);
    expect(j.end.sum_received.bytes).toBeGreaterThan(0);
    expect(j.end.sum_received.bytes).toBeLessThanOrEqual(j.end.sum_sent.bytes);
  });

  it('-S sets the data streams\' TOS on both ends once they are connected (iperf_init_stream): the handshakes and the control connection keep TOS 0; test_start and -V report it', () => {
    for (const [proto, dir] of [['', ''], ['', ' -R'], ['-u -b 10M ', '']] as const) {
      const l = lab();
      const seen: string[] = [];
      for (const b of ['rc', 'ep'] as const) {
        l.boards[b].stack.addPacketHandler((skb, _dev, direction) => {
          if (direction !== 'out' || (skb.l4.kind !== 'tcp' && skb.l4.kind !== 'udp')) return;
          const data = skb.payloadLen > 1000;
          const ctrl = skb.l4.kind === 'tcp' && (skb.l4.flags & 0x02) !== 0;
          seen.push(`${b} ${skb.l4.kind} ${ctrl ? 'syn' : data ? 'data' : 'small'} 0x${skb.ip.tos.toString(16)} ${skb.priority}`);
        });
      }
      run(l, 'rc', '-s');
      const r = run(l, 'ep', `${proto}-c 10.0.0.1 -S 0x10 -t 1 -J${dir}`);
      expect(r.status).toBe(0);
      expect((JSON.parse(r.stdout) as { start: { test_start: { tos: number } } }).start.test_start.tos).toBe(16);
      const sender = dir === '' ? 'ep' : 'rc';
      const data = seen.filter((x) => x.startsWith(`${sender} ${proto === '' ? 'tcp' : 'udp'} data`));
      expect(data.length).toBeGreaterThan(5);
      // TOS 0x10 is interactive: priority 6, pfifo_fast band 0.
      expect(new Set(data)).toEqual(new Set([`${sender} ${proto === '' ? 'tcp' : 'udp'} data 0x10 6`]));
      expect(seen.filter((x) => x.includes(' syn ')).every((x) => x.endsWith(' 0x0 0'))).toBe(true);
      stopServers(l, l.boards.rc);
    }
    const l = lab();
    run(l, 'rc', '-s');
    expect(run(l, 'ep', '-c 10.0.0.1 --dscp ef -t 1 -V').stdout).toContain(', 1 second test, tos 184\n');
  });

  it('-B binds the control and data sockets to the board\'s address on both ends; an address the board lacks is EADDRNOTAVAIL, a name it cannot resolve fails first', () => {
    for (const proto of ['', '-u -b 10M ']) {
      const l = lab();
      const from: string[] = [];
      l.boards.rc.stack.addPacketHandler((skb, _dev, direction) => {
        if (direction === 'in' && (skb.l4.kind === 'tcp' || skb.l4.kind === 'udp')) from.push(`${skb.l4.kind} ${skb.ip.src >>> 24}.${(skb.ip.src >>> 16) & 255}.${(skb.ip.src >>> 8) & 255}.${skb.ip.src & 255}`);
      });
      expect(run(l, 'rc', '-s -B 10.0.0.1').status).toBe(0);
      const r = run(l, 'ep', `${proto}-c 10.0.0.1 -B 10.0.0.2 -t 1`);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/\[ {2}5\] local 10\.0\.0\.2 port \d+ connected to 10\.0\.0\.1 port 5201\n/);
      expect(new Set(from)).toEqual(new Set(proto === '' ? ['tcp 10.0.0.2'] : ['tcp 10.0.0.2', 'udp 10.0.0.2']));
      stopServers(l, l.boards.rc);
    }
    const l = lab();
    expect(run(l, 'ep', '-c 10.0.0.1 -B 10.0.0.9 -t 1')).toEqual({ stdout: '', stderr: 'iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Cannot assign requested address\n', status: 1 });
    expect(run(l, 'ep', '-c 10.0.0.1 -B board9 -t 1')).toEqual({ stdout: '', stderr: 'iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Name or service not known\n', status: 1 });
    expect(run(l, 'rc', '-s -B 10.0.0.2')).toEqual({ stdout: '', stderr: 'iperf3: error - unable to start listener for connections: Cannot assign requested address\niperf3: exiting\n', status: 1 });
    expect(run(l, 'rc', '-s -B rc9')).toEqual({ stdout: '', stderr: 'iperf3: error - unable to start listener for connections: \niperf3: exiting\n', status: 1 });
    // A server bound to the loopback address is not reachable at the board's ntb0 address.
    expect(run(l, 'rc', '-s -B 127.0.0.1').status).toBe(0);
    expect(run(l, 'ep', '-c 10.0.0.1 -t 1').stderr).toBe('iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Connection refused\n');
  });

  it('-M sets TCP_MAXSEG on the client\'s streams and the server\'s listener: segments of at most MSS − 12 bytes each way, tcp_mss in -J and -V; a value the kernel refuses is IESETMSS on the server, then the client', () => {
    for (const dir of ['', ' -R']) {
      const l = lab();
      const sizes: number[] = [];
      for (const b of ['rc', 'ep'] as const) {
        l.boards[b].stack.addPacketHandler((skb, _dev, direction) => {
          if (direction === 'out' && skb.l4.kind === 'tcp' && (skb.l4.sport === 5201 || skb.l4.dport === 5201)) sizes.push(skb.payloadLen);
        });
      }
      run(l, 'rc', '-s');
      const r = run(l, 'ep', `-c 10.0.0.1 -M 1400 -t 1 -J${dir}`);
      expect(r.status).toBe(0);
      const start = (JSON.parse(r.stdout) as { start: Record<string, unknown> }).start;
      expect([start.tcp_mss, start.tcp_mss_default]).toEqual([1400, undefined]);
      // The control connection carries only small messages; the data streams' segments stop at 1400 − 12.
      expect(Math.max(...sizes)).toBe(1388);
      expect(sizes.filter((n) => n === 1388).length).toBeGreaterThan(100);
      stopServers(l, l.boards.rc);
    }
    const l = lab();
    run(l, 'rc', '-s');
    expect(run(l, 'ep', '-c 10.0.0.1 -M 9000 -t 1 -V').stdout).toContain('\n      TCP MSS: 9000\n');
    expect(run(l, 'ep', '-c 10.0.0.1 -t 1 -V').stdout).toMatch(/\n {6}TCP MSS: \d+ \(default\)\n/);
    expect(run(l, 'ep', '-c 10.0.0.1 -M 50 -t 1')).toEqual({ stdout: 'Connecting to host 10.0.0.1, port 5201\n', stderr: 'iperf3: error - unable to set TCP/SCTP MSS: Invalid argument\n', status: 1 });
    expect(serverText(l)).toContain('iperf3: error - unable to set TCP/SCTP MSS: Invalid argument\n');
  });

  it('runs -R and --bidir', () => {
    const l = lab();
    run(l, 'rc', '-s');
    const rev = run(l, 'ep', '-c 10.0.0.1 -t 2 -R');
    expect(rev.stdout).toMatch(/^Connecting to host 10\.0\.0\.1, port 5201\nReverse mode, remote host 10\.0\.0\.1 is sending\n\[ {2}5\] local/);
    expect(rev.stdout).toContain('[ ID] Interval           Transfer     Bitrate\n');
    expect(rev.stdout).toMatch(/\[ ID\] Interval {11}Transfer {5}Bitrate {9}Retr\n\[ {2}5\] {3}0\.00-\d\.\d\d +sec .*  +\d+ {13}sender\n/);
    const bidir = run(l, 'ep', '-c 10.0.0.1 -t 1 --bidir');
    expect(bidir.stdout).toContain('[ ID][Role] Interval           Transfer     Bitrate         Retr  Cwnd\n');
    expect(bidir.stdout).toMatch(/\[ {2}5\]\[TX-C\] {3}0\.00-1\.00 {3}sec /);
    expect(bidir.stdout).toMatch(/\[ {2}7\]\[RX-C\] {3}0\.00-\d\.\d\d +sec .* receiver\n/);
  });

  it('-R whose only interval closes at the end (-t 1, -i 0): printed after the results exchange, under a Retr Cwnd header (client_stats_timer_proc skips once done)', () => {
    const l = lab();
    run(l, 'rc', '-s');
    for (const args of ['-c 10.0.0.1 -t 1 -R', '-c 10.0.0.1 -t 2 -R -i 0']) {
      const r = run(l, 'ep', args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/\n\[ ID\] Interval {11}Transfer {5}Bitrate {9}Retr {2}Cwnd\n\[ {2}5\] {3}0\.00-\d\.00 {3}sec  +[\d.]+ [KMG]?Bytes  +[\d.]+ [KMG]?bits\/sec {18}\n- - -/);
      serverText(l);
    }
  });

  it('--bidir -J: the receiving streams\' tcp_info is sampled too (iperf_stats_callback on every stream), so their sender objects carry max_snd_cwnd and the RTTs', () => {
    const l = lab();
    run(l, 'rc', '-s');
    const r = run(l, 'ep', '-c 10.0.0.1 -t 1 --bidir -J');
    expect(r.status).toBe(0);
    type Sender = { max_snd_cwnd: number; max_snd_wnd: number; max_rtt: number; min_rtt: number; mean_rtt: number; sender: boolean };
    const j = JSON.parse(r.stdout) as { end: { streams: { sender: Sender }[] } };
    const rx = j.end.streams.map((s) => s.sender).find((s) => !s.sender);
    expect(rx).toBeDefined();
    expect(rx?.max_snd_cwnd).toBeGreaterThan(0);
    expect(rx?.max_snd_wnd).toBeGreaterThan(0);
    expect(rx?.min_rtt).toBeGreaterThan(0);
    expect(rx?.min_rtt).toBeLessThanOrEqual(rx?.mean_rtt ?? 0);
    expect(rx?.mean_rtt).toBeLessThanOrEqual(rx?.max_rtt ?? 0);
  });

  it('reports connection and buffer errors as iperf3 does', () => {
    const l = lab(11, false);
    expect(run(l, 'ep', '-c 10.0.0.1 -t 1')).toEqual({
      stdout: '',
      stderr: 'iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Connection refused\n',
      status: 1,
    });
    expect(run(l, 'ep', '-c 10.9.9.9 -t 1').stderr).toMatch(/: Network is unreachable\n$/);
    run(l, 'rc', '-s');
    expect(run(l, 'rc', '-s')).toEqual({ stdout: '', stderr: 'iperf3: error - unable to start listener for connections: Address already in use\niperf3: exiting\n', status: 1 });
    // The client fails at CREATE_STREAMS, after on_connect printed its line.
    expect(run(l, 'ep', '-c 10.0.0.1 -t 1 -w 512M')).toEqual({ stdout: 'Connecting to host 10.0.0.1, port 5201\n', stderr: 'iperf3: error - socket buffer size not set correctly\n', status: 1 });
    const j = run(l, 'ep', '-c 10.0.0.1 -p 5999 -t 1 -J');
    expect((JSON.parse(j.stdout) as { error: string }).error).toBe('error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Connection refused');
    expect(stopServers(l, l.boards.rc)).toBe(1);
    expect(run(l, 'ep', '-c 10.0.0.1 -t 1').stderr).toContain('Connection refused');
  });

  it('is deterministic: the same seed prints the same bytes', () => {
    const once = (): string => {
      const l = lab(42);
      run(l, 'rc', '-s');
      const a = run(l, 'ep', '-c 10.0.0.1 -t 1 -P 2');
      const b = run(l, 'ep', '-c 10.0.0.1 -t 1 -u -b 100M -J');
      return a.stdout + b.stdout + serverText(l);
    };
    expect(once()).toBe(once());
  });

  it('a test that can never finish (5 QPs: two share a 512 KiB MW, 3-slot rings that ntb_netdev never wakes) ends with the model\'s diagnosis, not a made-up iperf3 error', () => {
    const l = bootLab({ seed: 3, doorbell: { rc: 'per-bit', ep: 'per-bit' }, params: { transport: { maxNumClients: 5 }, netdev: { queues: 5 } } });
    run(l, 'rc', '-s');
    const r = run(l, 'ep', '-c 10.0.0.1 -t 2');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ntb-bench: iperf3 still had not finished 30\d s \(virtual\) after it started; the real iperf3 would still be waiting\. The model says: .*ntb0 TX queues? [\d, ]+(and .*)?stopped for good: a ring of 3 × 64 KiB slots has at most 2 free < tx_stop 5/);
    expect(r.stderr).not.toContain('control socket');
  });

  const BANNER = (n: number): string => `-----------------------------------------------------------\nServer listening on 5201 (test #${n})\n-----------------------------------------------------------\n`;
  const REFUSED = 'iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Connection refused\n';

  it('-s -1 (with or without -D) exits after its one test and its socket closes: the next client is refused at once, a new server starts', () => {
    for (const flags of ['-s -1', '-s -1 -D']) {
      const l = lab();
      expect(run(l, 'rc', flags)).toEqual({ stdout: flags.includes('-D') ? '' : BANNER(1), stderr: '', status: 0 });
      expect(run(l, 'ep', '-c 10.0.0.1 -t 1 -b 1M').status).toBe(0);
      const t0 = l.sim.now;
      expect(run(l, 'ep', '-c 10.0.0.1 -t 1')).toEqual({ stdout: '', stderr: REFUSED, status: 1 });
      expect(l.sim.now - t0).toBeLessThan(1e9);
      expect(run(l, 'rc', '-s').status).toBe(0);
    }
  });

  it('a foreground server prints its next banner when its test ends, before the next command on its board', () => {
    const l = lab();
    run(l, 'rc', '-s');
    takeServerOutput(l.boards.rc);
    expect(run(l, 'ep', '-c 10.0.0.1 -t 1 -b 1M').status).toBe(0);
    const srv = takeServerOutput(l.boards.rc);
    expect(srv).toMatch(/^Accepted connection from 10\.0\.0\.2, port \d+\n/);
    expect(srv.endsWith(` receiver\n${BANNER(2)}`)).toBe(true);
  });

  it('-P 0: the client makes no stream, the server never starts the test and gives up after --rcv-timeout (120 s), as 3.12 does', () => {
    const l = lab();
    run(l, 'rc', '-s');
    takeServerOutput(l.boards.rc);
    const t0 = l.sim.now;
    expect(run(l, 'ep', '-c 10.0.0.1 -P 0')).toEqual({ stdout: 'Connecting to host 10.0.0.1, port 5201\n', stderr: 'iperf3: error - control socket has closed unexpectedly\n', status: 1 });
    expect((l.sim.now - t0) / 1e9).toBeCloseTo(120, 0);
    const srv = takeServerOutput(l.boards.rc);
    expect(srv.replace(/port \d+/, 'port P')).toBe(`Accepted connection from 10.0.0.2, port P\niperf3: error - idle timeout for receiving data\n${BANNER(2)}`);
    // The server sends with -R: no receive timeout, both wait for good.
    const r = run(l, 'ep', '-c 10.0.0.1 -P 0 -R');
    expect(r.stdout).toBe('Connecting to host 10.0.0.1, port 5201\nReverse mode, remote host 10.0.0.1 is sending\n');
    expect(r.stderr).toMatch(/^ntb-bench: iperf3 still had not finished 310 s \(virtual\) after it started; the real iperf3 would still be waiting\./);
    expect(r.status).toBe(1);
  });

  it('a negative -t (3.12 accepts it): the client never ends on its own, the server\'s test timer (-t + 40 s) drops the test', () => {
    const l = lab();
    run(l, 'rc', '-s');
    takeServerOutput(l.boards.rc);
    const t0 = l.sim.now;
    const r = run(l, 'ep', '-c 10.0.0.1 -t -30 -b 1M -i 5');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('iperf3: error - control socket has closed unexpectedly\n');
    expect(r.stdout).toMatch(/^Connecting to host 10\.0\.0\.1, port 5201\n\[ {2}5\] local 10\.0\.0\.2 port \d+ connected to 10\.0\.0\.1 port 5201\n/);
    expect((l.sim.now - t0) / 1e9).toBeCloseTo(10, 0);
    const srv = takeServerOutput(l.boards.rc);
    expect(srv).toContain(`iperf3: error - select failed: Bad file descriptor\n${BANNER(2)}`);
    expect(srv).not.toContain('receiver');
  });

  it("-t 0 (or -t abc, atoi's 0) has no end: the lab interrupts it after 60 s, as a Ctrl-C would (iperf3's interrupt report), and says so", () => {
    const l = lab();
    run(l, 'rc', '-s');
    for (const t of ['0', 'abc']) {
      const r = run(l, 'ep', `-c 10.0.0.1 -t ${t} -u -b 10K -i 10`);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        'iperf3: interrupt - the client has terminated\nntb-bench: this iperf3 test has no end (-t taken as 0: 3.12 sets no end timer for it): the lab interrupted it 60 s (virtual) after it started, as Ctrl-C would\n',
      );
      // stats_callback closes a last interval at the signal; the summary has no receiver figures (no results exchanged).
      expect(r.stdout).toMatch(/^Connecting to host 10\.0\.0\.1, port 5201\n[^]*\[ {2}5\] {2}40\.00-50\.00 {2}sec .*\n\[ {2}5\] {2}50\.00-59\.\d\d {2}sec .*\n- - - [^]* sender\n\[ {2}5\] {3}0\.00-59\.\d\d {2}sec {2}0\.00 Bytes {2}0\.00 bits\/sec {2}0\.000 ms {2}0\/0 \(0%\) {2}receiver\n$/);
      // CLIENT_TERMINATE reached the server before the command returned: it reports and listens again.
      expect(takeServerOutput(l.boards.rc)).toMatch(/iperf3: the client has terminated\n-+\nServer listening on 5201 \(test #\d\)\n-+\n$/);
    }
  });

  it('-C ALGO sets TCP_CONGESTION on both ends (sender/receiver_tcp_congestion in -J from each side\'s congestion_used); an algorithm the host lacks is IESETCONGESTION; a server may not take -C', () => {
    const l = lab();
    run(l, 'rc', '-s');
    const doc = JSON.parse(run(l, 'ep', '-c 10.0.0.1 -t 1 -C reno -J').stdout) as { end: { sender_tcp_congestion: string; receiver_tcp_congestion: string } };
    expect([doc.end.sender_tcp_congestion, doc.end.receiver_tcp_congestion]).toEqual(['reno', 'reno']);
    const dflt = JSON.parse(run(l, 'ep', '-c 10.0.0.1 -t 1 -J').stdout) as { end: { sender_tcp_congestion: string } };
    expect(dflt.end.sender_tcp_congestion).toBe('cubic');
    // The receiving server's default changed, the client's -C applies to its streams all the same.
    l.boards.rc.stack.setSysctl('net.ipv4.tcp_congestion_control', 'reno');
    const mixed = JSON.parse(run(l, 'ep', '-c 10.0.0.1 -t 1 -J').stdout) as { end: { sender_tcp_congestion: string; receiver_tcp_congestion: string } };
    expect([mixed.end.sender_tcp_congestion, mixed.end.receiver_tcp_congestion]).toEqual(['cubic', 'reno']);
    const bad = run(l, 'ep', '-c 10.0.0.1 -t 1 -C bbr');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('iperf3: error - unable to set TCP_CONGESTION: Supplied congestion control algorithm not supported on this host\n');
    expect(run(l, 'rc', '-s -p 5300 -C reno').stderr).toMatch(/^iperf3: parameter error - some option you are trying to set is client only\n/);
  });

  it('the one-shot iperf3 refuses a server of its own (its lab has no client for it) and names what it runs', () => {
    const msg = "ntb-bench: iperf3: the one-shot iperf3 runs a client on the EP against the lab's server on the RC (10.0.0.1, port 5201); to run a server of your own, use a lab script (ntb-bench lab)\n";
    for (const args of [['-s'], ['--server'], ['-sD'], ['-s', '-p', '5202']]) expect(oneShotServerError(args)).toBe(msg);
    for (const args of [['-c', '10.0.0.1'], ['-c', '10.0.0.1', '-p', '5202'], ['-s', '-c', 'x'], ['-s', '-u']]) expect(oneShotServerError(args)).toBeNull();
  });
});

/** The interval lines (`[  5]   0.00-1.00 …`, `[SUM] …`) of a text report, before its summary. */
function intervalLines(text: string): string[] {
  const body = text.slice(0, text.indexOf('- - - - - - - - - - - - - - - - - - - - - - - - -\n[ ID]'));
  return body.split('\n').filter((s) => /^\[(?: {2}\d|SUM)\]/.test(s) && s.includes(' sec '));
}

/** What the -O tests read of a -J document. */
interface OmitDoc {
  readonly start: { readonly test_start: { readonly omit: number; readonly duration: number } };
  readonly intervals: readonly { readonly sum: { readonly start: number; readonly bytes: number; readonly packets?: number; readonly omitted: boolean } }[];
  readonly end: Record<string, { readonly bytes: number; readonly end: number; readonly packets?: number; readonly lost_packets?: number }>;
}

/** A lab with `iperf3 -s` on the RC, its banner taken. */
function withServer(): Lab {
  const l = lab();
  run(l, 'rc', '-s');
  takeServerOutput(l.boards.rc);
  return l;
}

describe('iperf3 -O in the lab (the omit period, as 3.12 runs it)', () => {
  it('in the lab: -O 2 -t 3 runs 5 s, the client and the server mark 2 intervals (omitted), restart at 0.00 and sum up the 3 others', () => {
    const l = withServer();
    const t0 = l.sim.now;
    const r = run(l, 'ep', '-c 10.0.0.1 -O 2 -t 3');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect((l.sim.now - t0) / 1e9).toBeGreaterThan(5);
    expect(r.stdout.match(/^\[ ID\] Interval/gm)).toHaveLength(2);
    const times = (text: string): string[] => intervalLines(text).map((s) => `${/\d+\.\d\d-\d+\.\d\d/.exec(s)?.[0] ?? ''}${s.endsWith('(omitted)') ? ' (omitted)' : ''}`);
    expect(times(r.stdout)).toEqual(['0.00-1.00 (omitted)', '1.00-2.00 (omitted)', '0.00-1.00', '1.00-2.00', '2.00-3.00']);
    expect(r.stdout).toMatch(/\n\[ {2}5\] {3}0\.00-3\.00 {3}sec .* sender\n/);
    const srv = serverText(l);
    expect(times(srv).slice(0, 5)).toEqual(['0.00-1.00 (omitted)', '1.00-2.00 (omitted)', '0.00-1.00', '1.00-2.00', '2.00-3.00']);
    expect(srv).toMatch(/\n\[ {2}5\] {3}0\.00-3\.\d\d {3}sec .* receiver\n/);
  });

  it('in the lab, -J: the summary counts the bytes after the omit period only, on both sides', () => {
    const l = withServer();
    const r = run(l, 'ep', '-c 10.0.0.1 -O 1 -t 2 -J');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as OmitDoc;
    expect(j.start.test_start).toMatchObject({ omit: 1, duration: 2 });
    expect(j.intervals.map((i) => i.sum.omitted)).toEqual([true, false, false]);
    expect(j.intervals.map((i) => Math.round(i.sum.start * 100) / 100)).toEqual([0, 0, 1]);
    const counted = j.intervals.filter((i) => !i.sum.omitted).reduce((n, i) => n + i.sum.bytes, 0);
    expect(j.end.sum_sent?.bytes).toBe(counted);
    expect(j.end.sum_sent?.end).toBe(2);
    // The server received its intervals' bytes after its own omit timer.
    const srv = serverText(l);
    expect(srv).toMatch(/\(omitted\)\n\[ {2}5\] {3}0\.00-1\.00 {3}sec /);
    const rx = [...srv.matchAll(/^\[ {2}5\] +[\d.]+-[\d.]+ +sec +([\d.]+) MBytes .*receiver$/gm)].map((m) => Number(m[1]));
    expect(rx).toHaveLength(1);
    expect(rx[0]).toBeLessThan((j.end.sum_sent?.bytes ?? 0) / 2 ** 20 + 5);
  });

  it('in the lab, UDP: the omitted datagrams are not counted (client sender and server receiver)', () => {
    const l = withServer();
    const r = run(l, 'ep', '-u -b 10M -c 10.0.0.1 -O 1 -t 2 -J');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as OmitDoc;
    const packets = (omitted: boolean): number => j.intervals.filter((i) => i.sum.omitted === omitted).reduce((n, i) => n + (i.sum.packets ?? 0), 0);
    expect(packets(true)).toBeGreaterThan(30);
    expect(j.end.sum_sent?.packets).toBe(packets(false));
    expect(j.end.sum?.packets).toBe(packets(false));
    expect(j.end.sum?.lost_packets).toBe(0);
    const srv = serverText(l);
    const m = /^\[ {2}5\] +0\.00-[\d.]+ +sec .* (\d+)\/(\d+) \(0%\) {2}receiver$/m.exec(srv);
    const srvIntervals = [...srv.matchAll(/^\[ {2}5\] .* \d+\/(\d+) \(0%\) {2}(\(omitted\))?$/gm)];
    const notOmitted = srvIntervals.filter((x) => x[2] === undefined).reduce((n, x) => n + Number(x[1]), 0);
    expect(Number(m?.[2])).toBe(notOmitted);
  });

  it('in the lab, -R and --bidir: both directions are marked and restart', () => {
    const l = withServer();
    const rev = run(l, 'ep', '-c 10.0.0.1 -O 1 -t 1 -R -P 2');
    expect(rev.status).toBe(0);
    expect(intervalLines(rev.stdout).map((s) => s.endsWith('(omitted)'))).toEqual([true, true, true, false, false, false]);
    expect(rev.stdout).toMatch(/\[SUM\] {3}0\.00-1\.00 {3}sec .* {18}\(omitted\)\n/);
    const srv = serverText(l);
    expect(srv).toMatch(/\[SUM\] {3}0\.00-1\.00 {3}sec .* {4}0 {13}\(omitted\)\n/);
    const bidir = run(l, 'ep', '-c 10.0.0.1 -O 1 -t 1 --bidir');
    expect(bidir.status).toBe(0);
    expect(intervalLines(bidir.stdout).map((s) => `${s.slice(5, 11)}${s.endsWith('(omitted)') ? ' omitted' : ''}`)).toEqual(['[TX-C] omitted', '[RX-C] omitted', '[TX-C]', '[RX-C]']);
  });

  it('in the lab: a bad -O is refused before anything starts, with 3.12\'s message and status 1', () => {
    const l = withServer();
    const r = run(l, 'ep', '-c 10.0.0.1 -O 61 -t 1');
    expect(r).toMatchObject({ stdout: '', stderr: `iperf3: parameter error - bogus value for --omit\n\n${USAGE_SHORT}`, status: 1 });
    expect(serverText(l)).toBe('');
  });
});
