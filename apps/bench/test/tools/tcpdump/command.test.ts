/**
 * The lab's tcpdump: its lines for the packets the boards exchange (a ping, an iperf3 handshake,
 * ARP with -e), its filter against a reference predicate, its errors and refusals, and its end
 * by a signal, the count or the device going down.
 */
import fc from 'fast-check';
import { parseIpv4, Skb, TCP_FLAG, type L4Header } from '@ntbsim/net-core';
import { describe, expect, it } from 'vitest';
import { bootLab } from '../../../src/lab/lab.js';
import { jobTable } from '../../../src/tools/jobs.js';
import { combinedOutput } from '../../../src/tools/output.js';
import { compileFilter } from '../../../src/tools/tcpdump/filter.js';
import { macString, TcpdumpPrinter, tcpFlagString } from '../../../src/tools/tcpdump/print.js';
import type { CommandResult } from '../../../src/types.js';
import { sh } from '../../labShell.js';


const HEADER = (dev: string, snap = 262144): string => `tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\nlistening on ${dev}, link-type EN10MB (Ethernet), snapshot length ${snap} bytes\n`;
const STATS = (n: number): string => `${n} packet${n === 1 ? '' : 's'} captured\n${n} packet${n === 1 ? '' : 's'} received by filter\n0 packets dropped by kernel\n`;

describe('tcpdump in the lab', () => {
  it('prints a ping as tcpdump 4.99 does: the start lines, one line per packet, the counts', () => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'rc', 'sudo tcpdump -i ntb0 -n -c 4 icmp &')).toEqual({ stdout: HEADER('ntb0'), stderr: '', status: 0 });
    expect(sh(lab, 'ep', 'ping -c 2 10.0.0.1').status).toBe(0);
    expect(combinedOutput(sh(lab, 'rc', 'wait'))).toBe(
      '00:00:00.036800 IP 10.0.0.2 > 10.0.0.1: ICMP echo request, id 37586, seq 1, length 64\n' +
        '00:00:00.036822 IP 10.0.0.1 > 10.0.0.2: ICMP echo reply, id 37586, seq 1, length 64\n' +
        // ping's second request: a second after the first, plus the fraction of a millisecond its reply came into it.
        '00:00:01.033831 IP 10.0.0.2 > 10.0.0.1: ICMP echo request, id 37586, seq 2, length 64\n' +
        '00:00:01.033853 IP 10.0.0.1 > 10.0.0.2: ICMP echo reply, id 37586, seq 2, length 64\n' +
        STATS(4),
    );
  });

  it('shows an iperf3 handshake: absolute numbers on the SYN and SYN-ACK, relative after, the options the segments carry', () => {
    const lab = bootLab({ seed: 3 });
    sh(lab, 'rc', 'iperf3 -s -D');
    sh(lab, 'rc', 'sudo tcpdump -nn -c 4 tcp port 5201 &');
    sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1');
    const lines = combinedOutput(sh(lab, 'rc', 'wait')).split('\n');
    const syn = /^[\d:.]+ IP 10\.0\.0\.2\.(\d+) > 10\.0\.0\.1\.5201: Flags \[S\], seq (\d+), win (\d+), options \[mss 65470,nop,nop,TS val (\d+) ecr 0,nop,wscale (\d+)\], length 0$/.exec(lines[0] ?? '');
    expect(syn).not.toBeNull();
    const [, port, isn] = syn as RegExpExecArray;
    const synAck = new RegExp(`^[\\d:.]+ IP 10\\.0\\.0\\.1\\.5201 > 10\\.0\\.0\\.2\\.${port}: Flags \\[S\\.\\], seq (\\d+), ack ${Number(isn) + 1}, win \\d+, options \\[mss 65470,nop,nop,TS val \\d+ ecr \\d+,nop,wscale \\d+\\], length 0$`).exec(lines[1] ?? '');
    expect(synAck).not.toBeNull();
    expect(lines[2]).toMatch(new RegExp(`^[\\d:.]+ IP 10\\.0\\.0\\.2\\.${port} > 10\\.0\\.0\\.1\\.5201: Flags \\[\\.\\], ack 1, win \\d+, options \\[nop,nop,TS val \\d+ ecr \\d+\\], length 0$`));
    // iperf3's cookie: 37 bytes of data, numbered from 1.
    expect(lines[3]).toMatch(/Flags \[P\.\], seq 1:38, ack 1, win \d+, options \[nop,nop,TS val \d+ ecr \d+\], length 37$/);
    expect(lines.slice(4).join('\n')).toBe(STATS(4));
    // -S: absolute numbers throughout (after the first test's connections have closed, so the
    // capture starts with the next test's SYN).
    sh(lab, 'ep', 'sleep 1');
    sh(lab, 'rc', 'sudo tcpdump -S -q -nn -c 2 tcp &');
    sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1');
    const quick = combinedOutput(sh(lab, 'rc', 'wait')).split('\n');
    expect(quick[0]).toMatch(/^[\d:.]+ IP 10\.0\.0\.2\.\d+ > 10\.0\.0\.1\.5201: tcp 0$/);
  });

  it('-e prints the link header of ARP: the MACs, Broadcast and the OUI without -n, the frame length', () => {
    const lab = bootLab({ seed: 3 });
    sh(lab, 'rc', 'sudo tcpdump -i ntb0 -e -c 2 arp &');
    sh(lab, 'ep', 'ping -c 1 10.0.0.1');
    const ep = macString(lab.boards.ep.stack.device('ntb0').devAddr, false);
    const rc = macString(lab.boards.rc.stack.device('ntb0').devAddr, false);
    expect(ep).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2} \(oui Unknown\)$/);
    const lines = combinedOutput(sh(lab, 'rc', 'wait')).split('\n');
    expect(lines.map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d{6} /, ''))).toEqual([
      `${ep} > Broadcast, ethertype ARP (0x0806), length 42: Request who-has 10.0.0.1 tell 10.0.0.2, length 28`,
      `${rc} > ${ep}, ethertype ARP (0x0806), length 42: Reply 10.0.0.1 is-at ${rc}, length 28`,
      ...STATS(2).split('\n'),
    ]);
    // -n: the bare addresses; -q: the EtherType's name only.
    sh(lab, 'ep', 'ip neigh flush dev ntb0');
    sh(lab, 'rc', 'sudo tcpdump -i ntb0 -e -n -q -t -c 1 arp &');
    sh(lab, 'ep', 'ping -c 1 10.0.0.1');
    expect(combinedOutput(sh(lab, 'rc', 'wait'))).toBe(`${ep.slice(0, 17)} > ff:ff:ff:ff:ff:ff, ARP, length 42: Request who-has 10.0.0.1 tell 10.0.0.2, length 28\n${STATS(1)}`);
  });

  it('a fragmented echo: the first fragment to ICMP with its own length, the next as ip-proto-1 (-n) or icmp', () => {
    const lab = bootLab({ seed: 3 });
    sh(lab, 'ep', 'ping -c 1 10.0.0.1');
    sh(lab, 'rc', 'sudo tcpdump -n -t -c 2 &');
    sh(lab, 'rc', 'sudo tcpdump -t -c 2 icmp &');
    sh(lab, 'ep', 'ping -c 1 -s 65500 10.0.0.1');
    // Both captures print as the fragments pass: each sees the first, then the second.
    const out = combinedOutput(sh(lab, 'rc', 'wait')).split('\n');
    expect(out.slice(0, 4)).toEqual([
      expect.stringMatching(/^IP 10\.0\.0\.2 > 10\.0\.0\.1: ICMP echo request, id \d+, seq 1, length 65488$/),
      out[0],
      'IP 10.0.0.2 > 10.0.0.1: ip-proto-1',
      '2 packets captured',
    ]);
    expect(out).toContain('IP 10.0.0.2 > 10.0.0.1: icmp');
  });

  it('on lo each packet shows once (libpcap drops the outgoing copy)', () => {
    const lab = bootLab({ seed: 3 });
    sh(lab, 'rc', 'sudo tcpdump -i lo -n -c 2 &');
    // The capture ends while the ping runs on its board: what it printed follows the ping's output.
    expect(combinedOutput(sh(lab, 'rc', 'ping -c 1 127.0.0.1'))).toMatch(/^[\d:.]+ IP 127\.0\.0\.1 > 127\.0\.0\.1: ICMP echo request, id \d+, seq 1, length 64\n[\d:.]+ IP 127\.0\.0\.1 > 127\.0\.0\.1: ICMP echo reply, id \d+, seq 1, length 64\n2 packets captured/m);
  });

  it('SIGINT (kill, killall) ends a background capture: a newline, then the counts, status 0; SIGKILL silently', () => {
    const lab = bootLab({ seed: 3 });
    sh(lab, 'rc', 'sudo tcpdump -i ntb0 -n icmp &');
    sh(lab, 'ep', 'ping -c 1 10.0.0.1');
    // What the job printed while the ping ran on the other board shows before rc's next command.
    const jobs = sh(lab, 'rc', 'jobs').stdout;
    expect(jobs).toMatch(/ICMP echo request, id \d+, seq 1, length 64\n[\d:.]+ IP 10\.0\.0\.1 > 10\.0\.0\.2: ICMP echo reply, id \d+, seq 1, length 64\n/);
    expect(jobs.endsWith('\n[1]+  Running                 sudo tcpdump -i ntb0 -n icmp &\n')).toBe(true);
    expect(sh(lab, 'rc', 'killall -INT tcpdump')).toEqual({ stdout: `\n${STATS(2)}`, stderr: '', status: 0 });
    expect(sh(lab, 'rc', 'jobs').stdout).toBe('[1]+  Done                    sudo tcpdump -i ntb0 -n icmp\n');
    sh(lab, 'rc', 'sudo tcpdump -n &');
    expect(sh(lab, 'rc', 'kill -9 %1')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, 'rc', 'jobs').stdout).toBe('[1]+  Killed                  sudo tcpdump -n\n');
    sh(lab, 'rc', 'sudo tcpdump -n &');
    expect(sh(lab, 'rc', 'kill %1')).toEqual({ stdout: `\n${STATS(0)}`, stderr: '', status: 0 });
  });

  it('the device going down ends the capture with pcap_loop\'s error, status 1; a down device is refused', () => {
    const lab = bootLab({ seed: 3 });
    sh(lab, 'rc', 'sudo tcpdump -c 5 &');
    expect(combinedOutput(sh(lab, 'rc', 'ip link set ntb0 down'))).toBe(`tcpdump: pcap_loop: The interface went down\n${STATS(0)}`);
    expect(sh(lab, 'rc', 'jobs').stdout).toBe('[1]+  Exit 1                  sudo tcpdump -c 5\n');
    expect(sh(lab, 'rc', 'sudo tcpdump -i ntb0 -c 1')).toEqual({ stdout: '', stderr: 'tcpdump: ntb0: That device is not up\n', status: 1 });
  });

  it('a foreground capture runs virtual time until its count, and gives up after 60 s as Ctrl-C would', () => {
    const lab = bootLab({ seed: 3 });
    const t0 = lab.sim.now;
    const r = sh(lab, 'rc', 'sudo tcpdump -c 1 udp');
    expect(r.stdout).toBe('\n');
    expect(r.stderr).toBe(`${HEADER('ntb0')}${STATS(0)}ntb-bench: tcpdump had captured 0 of the 1 packets of -c 1 after 60 s (virtual); the real one would still be waiting: the lab interrupted it, as Ctrl-C would\n`);
    expect(r.status).toBe(0);
    expect(lab.sim.now - t0).toBe(60e9);
  });

  it('is deterministic: the same seed, the same lines', () => {
    const run = (): string => {
      const lab = bootLab({ seed: 11 });
      sh(lab, 'rc', 'iperf3 -s -D');
      sh(lab, 'rc', 'sudo tcpdump -c 30 &');
      sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1');
      return combinedOutput(sh(lab, 'rc', 'wait'));
    };
    const a = run();
    expect(a.split('\n')).toHaveLength(34);
    expect(run()).toBe(a);
  });
});

describe('tcpdump refuses as tcpdump 4.99 / libpcap 1.10 do, and what the lab does not model, before anything starts', () => {
  /** Run `line` on a fresh lab: what it printed, the jobs it left and the virtual time it took. */
  const attempt = (line: string, board: 'rc' | 'ep' = 'rc'): CommandResult & { jobs: number; elapsed: number } => {
    const lab = bootLab({ seed: 3 });
    const t0 = lab.sim.now;
    const r = sh(lab, board, line);
    return { ...r, jobs: jobTable(lab.boards[board]).length, elapsed: lab.sim.now - t0 };
  };
  /** A refusal: `stderr` alone, status 1, nothing started, no time passed. */
  const refusal = (stderr: string): CommandResult & { jobs: number; elapsed: number } => ({ stdout: '', stderr, status: 1, jobs: 0, elapsed: 0 });

  it('needs root, names a missing device, checks its option arguments', () => {
    expect(attempt('tcpdump -i ntb0 -c 1')).toEqual(refusal("tcpdump: ntb0: You don't have permission to perform this capture on that device\n(socket: Operation not permitted)\n"));
    expect(attempt('tcpdump -i ntb1 -c 1 &')).toEqual(refusal("tcpdump: ntb1: You don't have permission to perform this capture on that device\n(socket: Operation not permitted)\n"));
    expect(attempt('sudo tcpdump -i ntb1 -c 1')).toEqual(refusal('tcpdump: ntb1: No such device exists\n(SIOCGIFHWADDR: No such device)\n'));
    expect(attempt('sudo tcpdump -i 9 -c 1')).toEqual(refusal('tcpdump: Invalid adapter index 9: only 7 interfaces found\n'));
    expect(attempt('sudo tcpdump -i 0 -c 1')).toEqual(refusal('tcpdump: Invalid adapter index 0\n'));
    expect(attempt('sudo tcpdump -c 0')).toEqual(refusal('tcpdump: invalid packet count 0\n'));
    expect(attempt('sudo tcpdump -c x')).toEqual(refusal('tcpdump: invalid packet count x\n'));
    expect(attempt('sudo tcpdump -s 300000 -c 1')).toEqual(refusal('tcpdump: invalid snaplen 300000 (must be >= 0 and <= 262144)\n'));
    expect(attempt('sudo tcpdump -Q sideways -c 1')).toEqual(refusal("tcpdump: unknown capture direction 'sideways'\n"));
    expect(attempt('sudo tcpdump -tttttt -c 1')).toEqual(refusal('tcpdump: only -t, -tt, -ttt, -tttt and -ttttt are supported\n'));
  });

  it('a bad option: getopt\'s message and the usage on standard error, status 1; -h the usage on standard output', () => {
    const lab = bootLab({ seed: 3 });
    const bad = sh(lab, 'rc', 'sudo tcpdump -k');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^tcpdump: invalid option -- 'k'\ntcpdump version 4\.99\.3\nlibpcap version 1\.10\.3 \(with TPACKET_V3\)\n/);
    expect(bad.stderr).toContain('Usage: tcpdump [-AbdDefhHIJKlLnNOpqStuUvxX#] [ -B size ] [ -c count ] [--count]\n');
    expect(sh(lab, 'rc', 'tcpdump -c')).toMatchObject({ stderr: expect.stringMatching(/^tcpdump: option requires an argument -- 'c'\n/) as unknown, status: 1 });
    const h = sh(lab, 'rc', 'tcpdump --help');
    expect(h).toMatchObject({ stderr: '', status: 0 });
    expect(h.stdout).toBe(bad.stderr.slice(bad.stderr.indexOf('\n') + 1));
    expect(sh(lab, 'rc', 'tcpdump --version').stdout).toBe('tcpdump version 4.99.3\nlibpcap version 1.10.3 (with TPACKET_V3)\nOpenSSL 3.0.15 3 Sep 2024\n');
  });

  it('filter errors are libpcap\'s; primitives the lab does not implement are named', () => {
    expect(attempt('sudo tcpdump -c 1 tcp and')).toEqual(refusal("tcpdump: can't parse filter expression: syntax error\n"));
    expect(attempt("sudo tcpdump -c 1 '(tcp'")).toEqual(refusal("tcpdump: can't parse filter expression: syntax error\n"));
    expect(attempt('sudo tcpdump -c 1 port 80 -A vv')).toEqual(refusal("tcpdump: the lab's tcpdump does not model -A: no the verbose decode or hex and ASCII dumps (it prints the one-line decode)\n"));
    expect(attempt('sudo tcpdump -c 1 host nowhere')).toEqual(refusal("tcpdump: unknown host 'nowhere'\n"));
    expect(attempt('sudo tcpdump -c 1 tcp host 10.0.0.1')).toEqual(refusal("tcpdump: 'tcp' modifier applied to host\n"));
    expect(attempt('sudo tcpdump -c 1 icmp port 7')).toEqual(refusal("tcpdump: illegal qualifier of 'port'\n"));
    expect(attempt('sudo tcpdump -c 1 port 70000')).toEqual(refusal('tcpdump: illegal port number 70000 > 65535\n'));
    expect(attempt('sudo tcpdump -c 1 net 10.0.0.0/24')).toEqual(refusal("tcpdump: the lab's tcpdump does not implement the filter primitive 'net' (it takes ip, arp, tcp, udp, icmp, [src|dst] host ADDR, [tcp|udp] [src|dst] port N, and, or, not, parentheses); nothing was captured\n"));
    expect(attempt("sudo tcpdump -c 1 'tcp[13] & 2 != 0'")).toEqual(refusal("tcpdump: the lab's tcpdump does not implement the filter primitive 'tcp[13]' (it takes ip, arp, tcp, udp, icmp, [src|dst] host ADDR, [tcp|udp] [src|dst] port N, and, or, not, parentheses); nothing was captured\n"));
  });

  it('refuses what it does not model: capture files, -v, -i any, a short snapshot, a foreground capture without -c', () => {
    expect(attempt('sudo tcpdump -w /tmp/x.pcap -c 1')).toEqual(refusal("tcpdump: the lab's tcpdump does not model -w: no capture files and filter files (it prints the packets it captures)\n"));
    expect(attempt('sudo tcpdump -v -c 1')).toEqual(refusal("tcpdump: the lab's tcpdump does not model -v: no the verbose decode or hex and ASCII dumps (it prints the one-line decode)\n"));
    expect(attempt('sudo tcpdump -i any -c 1')).toEqual(refusal("tcpdump: the lab's tcpdump captures on the boards' Ethernet devices (ntb0, lo), not on any (its LINUX_SLL2 cooked capture is not modelled)\n"));
    expect(attempt('sudo tcpdump -s 60 -c 1')).toEqual(refusal("tcpdump: the lab's tcpdump does not model a snapshot length below 74 bytes (the headers of the model's packets; tcpdump would print them cut short): give -s 0 or at least 74\n"));
    expect(attempt('sudo tcpdump -i ntb0')).toEqual(refusal('tcpdump: the lab cannot interrupt a foreground tcpdump: give -c COUNT, or run it in the background (tcpdump … &) and stop it with kill or killall\n'));
  });

  it('-D lists the devices as libpcap 1.10 sorts them; -s sets the snapshot length line', () => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'ep', 'tcpdump -D').stdout).toBe(
      '1.ntb0 [Up, Running, Connected]\n2.lo [Up, Running, Loopback]\n3.any (Pseudo-device that captures on all interfaces) [Up, Running]\n' +
        '4.nflog (Linux netfilter log (NFLOG) interface) [none]\n5.nfqueue (Linux netfilter queue (NFQUEUE) interface) [none]\n6.dbus-system (D-Bus system bus) [none]\n7.dbus-session (D-Bus session bus) [none]\n',
    );
    expect(sh(lab, 'ep', 'sudo tcpdump -i 2 -s 0x100 -c 1 &').stdout).toBe(HEADER('lo', 256));
    sh(lab, 'ep', 'ip link set ntb0 down');
    expect(sh(lab, 'ep', 'tcpdump -D').stdout).toMatch(/^1\.lo \[Up, Running, Loopback\]\n2\.any .*\n3\.nflog .*\n4\.nfqueue .*\n5\.dbus-system .*\n6\.dbus-session .*\n7\.ntb0 \[none, Disconnected\]\n$/);
  });
});

describe('the printer and the filter', () => {
  const ip = (src: string, dst: string, protocol: number, frag: { off?: number; mf?: boolean } = {}): Skb['ip'] => ({ src: parseIpv4(src), dst: parseIpv4(dst), protocol, id: 1, ttl: 64, df: false, tos: 0, ...(frag.off !== undefined ? { fragOff: frag.off } : {}), ...(frag.mf !== undefined ? { mf: frag.mf } : {}) });
  const tcp = (sport: number, dport: number, h: Partial<Extract<L4Header, { kind: 'tcp' }>>): L4Header => ({ kind: 'tcp', sport, dport, seq: 0, ack: 0, flags: TCP_FLAG.ACK, window: 100, ...h });

  it('prints the flags in tcp_flag_values order, and none', () => {
    expect(tcpFlagString(TCP_FLAG.SYN | TCP_FLAG.ACK)).toBe('S.');
    expect(tcpFlagString(TCP_FLAG.FIN | TCP_FLAG.PSH | TCP_FLAG.ACK)).toBe('FP.');
    expect(tcpFlagString(TCP_FLAG.RST)).toBe('R');
    expect(tcpFlagString(TCP_FLAG.RST | TCP_FLAG.ACK)).toBe('R.');
    expect(tcpFlagString(0)).toBe('none');
  });

  it('numbers a conversation from its first segment with ACK (tcp_seq_hash), wrapping at 2^32; the time stamp forms of -t…-ttttt', () => {
    const p = new TcpdumpPrinter({ link: false, quick: false, absolute: false, numeric: true, tflag: 1 });
    const a = new Skb({ ip: ip('10.0.0.2', '10.0.0.1', 6), l4: tcp(40000, 5201, { seq: 4294967000, ack: 100, flags: TCP_FLAG.ACK | TCP_FLAG.PSH }), payloadLen: 1000 });
    const b = new Skb({ ip: ip('10.0.0.1', '10.0.0.2', 6), l4: tcp(5201, 40000, { seq: 100, ack: 4294967000 + 1000 }) });
    const c = new Skb({ ip: ip('10.0.0.2', '10.0.0.1', 6), l4: tcp(40000, 5201, { seq: 4294967000 + 1000, ack: 100, flags: TCP_FLAG.FIN | TCP_FLAG.ACK }) });
    expect(p.line(a, 0)).toBe('IP 10.0.0.2.40000 > 10.0.0.1.5201: Flags [P.], seq 4294967000:704, ack 100, win 100, length 1000\n');
    expect(p.line(b, 0)).toBe('IP 10.0.0.1.5201 > 10.0.0.2.40000: Flags [.], ack 1000, win 100, length 0\n');
    expect(p.line(c, 0)).toBe('IP 10.0.0.2.40000 > 10.0.0.1.5201: Flags [F.], seq 1000, ack 1, win 100, length 0\n');
    const t = (tflag: number, ns: number[]): string[] => {
      const q = new TcpdumpPrinter({ link: false, quick: true, absolute: false, numeric: true, tflag });
      return ns.map((n) => q.line(b, n).split(' IP')[0] ?? '');
    };
    expect(t(0, [3_723_000_001_000])).toEqual(['01:02:03.000001']);
    expect(t(2, [1_500_000])).toEqual(['1795305600.001500']);
    expect(t(3, [1_000_000, 1_250_000, 3_250_000])).toEqual([' 00:00:00.000000', ' 00:00:00.000250', ' 00:00:00.002000']);
    expect(t(4, [0])).toEqual(['2026-11-22 00:00:00.000000']);
    expect(t(5, [1_000_000, 1_250_000, 3_250_000])).toEqual([' 00:00:00.000000', ' 00:00:00.000250', ' 00:00:00.002250']);
  });

  it('UDP prints the datagram\'s length, a first fragment its whole datagram\'s; MACs by etheraddr_string', () => {
    const p = new TcpdumpPrinter({ link: false, quick: false, absolute: false, numeric: true, tflag: 1 });
    expect(p.line(new Skb({ ip: ip('10.0.0.2', '10.0.0.1', 17), l4: { kind: 'udp', sport: 1, dport: 2 }, payloadLen: 100 }), 0)).toBe('IP 10.0.0.2.1 > 10.0.0.1.2: UDP, length 100\n');
    expect(p.line(new Skb({ ip: ip('10.0.0.2', '10.0.0.1', 17, { mf: true }), l4: { kind: 'udp', sport: 1, dport: 2, len: 70008 - 65000 }, payloadLen: 1472 }), 0)).toBe('IP 10.0.0.2.1 > 10.0.0.1.2: UDP, length 5000\n');
    expect(macString(new Uint8Array([255, 255, 255, 255, 255, 255]), true)).toBe('ff:ff:ff:ff:ff:ff');
    expect(macString(new Uint8Array(6), false)).toBe('00:00:00:00:00:00 (oui Ethernet)');
  });

  /** A packet the filter may see: ARP, or IPv4 TCP/UDP/ICMP, a first or later fragment. */
  const ADDRS = ['10.0.0.1', '10.0.0.2', '127.0.0.1', '10.0.0.9'];
  const PORTS = [22, 80, 5201, 40000];
  const packetArb = fc.record({
    kind: fc.constantFrom('arp', 'tcp', 'udp', 'icmp'),
    src: fc.constantFrom(...ADDRS),
    dst: fc.constantFrom(...ADDRS),
    sport: fc.constantFrom(...PORTS),
    dport: fc.constantFrom(...PORTS),
    later: fc.boolean(),
  });
  type Pkt = typeof packetArb extends fc.Arbitrary<infer T> ? T : never;
  const toSkb = (p: Pkt): Skb => {
    if (p.kind === 'arp') return new Skb({ ip: ip(p.src, p.dst, 0), l4: { kind: 'arp', op: 1, sha: new Uint8Array(6), spa: parseIpv4(p.src), tha: new Uint8Array(6), tpa: parseIpv4(p.dst) } });
    const proto = { tcp: 6, udp: 17, icmp: 1 }[p.kind];
    if (p.later) return new Skb({ ip: ip(p.src, p.dst, proto, { off: 1480 }), l4: { kind: 'frag' }, payloadLen: 8 });
    const l4: L4Header = p.kind === 'icmp' ? { kind: 'icmp', type: 8, code: 0, id: 1, seq: 1 } : p.kind === 'tcp' ? tcp(p.sport, p.dport, {}) : { kind: 'udp', sport: p.sport, dport: p.dport };
    return new Skb({ ip: ip(p.src, p.dst, proto), l4 });
  };

  /** A filter expression and the reference predicate it should compile to (pcap-filter(7) read directly). */
  type Expr = { readonly text: string; readonly ref: (p: Pkt) => boolean };
  const prim: fc.Arbitrary<Expr> = fc.oneof(
    fc.constantFrom<Expr>(
      { text: 'ip', ref: (p) => p.kind !== 'arp' },
      { text: 'arp', ref: (p) => p.kind === 'arp' },
      { text: 'tcp', ref: (p) => p.kind === 'tcp' },
      { text: 'udp', ref: (p) => p.kind === 'udp' },
      { text: 'icmp', ref: (p) => p.kind === 'icmp' },
    ),
    fc.tuple(fc.constantFrom('', 'ip ', 'arp '), fc.constantFrom('', 'src ', 'dst '), fc.constantFrom(...ADDRS)).map(([proto, dir, a]): Expr => ({
      text: `${proto}${dir}host ${a}`,
      ref: (p) => (proto === 'ip ' && p.kind === 'arp') || (proto === 'arp ' && p.kind !== 'arp') ? false : dir === 'src ' ? p.src === a : dir === 'dst ' ? p.dst === a : p.src === a || p.dst === a,
    })),
    fc.tuple(fc.constantFrom('', 'tcp ', 'udp '), fc.constantFrom('', 'src ', 'dst '), fc.constantFrom(...PORTS)).map(([proto, dir, n]): Expr => ({
      text: `${proto}${dir}port ${n}`,
      ref: (p) => (p.kind === 'tcp' || p.kind === 'udp') && !p.later && (proto === '' || proto === `${p.kind} `) && (dir === 'src ' ? p.sport === n : dir === 'dst ' ? p.dport === n : p.sport === n || p.dport === n),
    })),
  );
  const expr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      prim,
      fc.tuple(fc.constantFrom('not ', '! '), tie('e')).map(([not, a]): Expr => ({ text: `${not}(${a.text})`, ref: (p) => !a.ref(p) })),
      fc.tuple(tie('e'), fc.constantFrom('and', '&&', 'or', '||'), tie('e')).map(([a, op, b]): Expr => ({
        text: `(${a.text}) ${op} (${b.text})`,
        ref: op === 'and' || op === '&&' ? (p) => a.ref(p) && b.ref(p) : (p) => a.ref(p) || b.ref(p),
      })),
    ),
  })).e;

  it('accepts exactly the packets pcap-filter(7) says (property)', () => {
    fc.assert(
      fc.property(expr, fc.array(packetArb, { minLength: 1, maxLength: 20 }), (e, pkts) => {
        const f = compileFilter(e.text);
        for (const p of pkts) expect(f(toSkb(p))).toBe(e.ref(p));
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('and/or are left-associative at equal precedence, not binds tightest; a bare operand keeps the last qualifiers', () => {
    const pkt = (p: Partial<Pkt>): Skb => toSkb({ kind: 'tcp', src: '10.0.0.2', dst: '10.0.0.1', sport: 40000, dport: 5201, later: false, ...p });
    // (tcp or icmp) and port 22: false for ports 40000 and 5201 (a C-style tcp or (icmp and port 22) would be true).
    expect(compileFilter('tcp or icmp and port 22')(pkt({}))).toBe(false);
    expect(compileFilter('not udp and tcp')(pkt({}))).toBe(true);
    expect(compileFilter('port 22 or 5201')(pkt({}))).toBe(true);
    expect(compileFilter('host 10.0.0.9 or 10.0.0.1')(pkt({}))).toBe(true);
    expect(compileFilter('10.0.0.2')(pkt({}))).toBe(true);
    expect(compileFilter('')(pkt({}))).toBe(true);
  });
});
