/**
 * iproute2's ss over the boards' TCP and UDP sockets: the compact column layout, the queues
 * inet_diag reports for a listener and a connection in mid-transfer, the `-i` line against
 * tcp_info, `-o`'s timers (retransmission, SYN, persist, TIME-WAIT) and tcpi_options flags,
 * state and port filters, and its option errors.
 */
import { describe, expect, it } from 'vitest';
import type { ExecContext, Task, TaskStep } from '@ntbsim/kernel';
import type { TcpSocket } from '@ntbsim/net-core';
import { startStream, type StreamState } from '../../src/faults/traffic.js';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { sh } from '../labShell.js';

/** A lab with `iperf3 -s -D` on the RC and a verified stream from the EP to port 5301, 30 ms in. */
function midTransfer(): { lab: Lab; st: StreamState } {
  const lab = bootLab({ seed: 5 });
  expect(sh(lab, 'rc', 'iperf3 -s -D').status).toBe(0);
  const st = startStream(lab, { from: 'ep', bytes: 200_000_000 });
  lab.sim.run({ until: lab.sim.now + 30_000_000 });
  return { lab, st };
}

/** The `key:value` fields of an `-i` line, in order (`send`/`pacing_rate` as `key value`). */
function infoFields(line: string): [string, string][] {
  expect(line.startsWith('\t cubic ')).toBe(true);
  const words = line.slice('\t cubic '.length).split(' ');
  const out: [string, string][] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const colon = w.indexOf(':');
    if (colon > 0) out.push([w.slice(0, colon), w.slice(colon + 1)]);
    else out.push([w, words[++i] as string]);
  }
  return out;
}

/** tcp_stats_print's order of the fields the lab prints. */
const ORDER = ['wscale', 'rto', 'backoff', 'rtt', 'ato', 'mss', 'pmtu', 'rcvmss', 'advmss', 'cwnd', 'ssthresh', 'bytes_sent', 'bytes_retrans', 'bytes_acked', 'bytes_received', 'segs_out', 'segs_in', 'data_segs_out', 'data_segs_in', 'send', 'pacing_rate', 'delivered', 'unacked', 'retrans', 'lost', 'sacked', 'reordering', 'rcv_rtt', 'rcv_space', 'rcv_ssthresh', 'notsent', 'minrtt', 'snd_wnd'];

describe('ss: layout', () => {
  it('prints the compact columns of a pipe: each as wide as its longest field plus its delimiter, Netid hidden for one table', () => {
    const lab = bootLab({ seed: 5 });
    expect(sh(lab, 'rc', 'iperf3 -s -D').status).toBe(0);
    const r = sh(lab, 'rc', 'ss -tln');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    // The Process column holds the header's 7 characters; the last line's empty field is padded to it.
    expect(r.stdout).toBe(['State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess', 'LISTEN 0      4096         0.0.0.0:5201      0.0.0.0:*          ', ''].join('\n'));
    // -H: no header, so the columns shrink to the fields.
    expect(sh(lab, 'rc', 'ss -tlnH').stdout).toBe('LISTEN 0      4096   0.0.0.0:5201 0.0.0.0:*\n');
    // Without a socket, the header alone; with -H, nothing.
    expect(sh(lab, 'ep', 'ss -tn').stdout).toBe('State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n');
    expect(sh(lab, 'ep', 'ss -tnH').stdout).toBe('');
    // Ports print as numbers with or without -n (the lab has no /etc/services).
    expect(sh(lab, 'rc', 'ss -tl').stdout).toBe(r.stdout);
  });

  it('shows Netid with two tables, UDP before TCP, UDP sockets UNCONN until connected', () => {
    const lab = bootLab({ seed: 5 });
    expect(sh(lab, 'rc', 'iperf3 -s -D').status).toBe(0);
    expect(sh(lab, 'rc', 'sockperf server').status).toBe(0);
    const lines = sh(lab, 'rc', 'ss -tuanH').stdout.split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(0, 6))).toEqual([
      ['udp', 'UNCONN', '0', '0', '0.0.0.0:11111', '0.0.0.0:*'],
      ['tcp', 'LISTEN', '0', '4096', '0.0.0.0:5201', '0.0.0.0:*'],
      [''],
    ]);
    // -u alone asks for ESTAB (connected) UDP sockets only.
    expect(sh(lab, 'rc', 'ss -uH').stdout).toBe('');
    expect(sh(lab, 'rc', 'ss -4lnH sport = :11111').stdout.split(/\s+/).slice(0, 2)).toEqual(['udp', 'UNCONN']);
    // No IPv6 sockets on the boards' IPv4 stack.
    expect(sh(lab, 'rc', 'ss -6lnH').stdout).toBe('');
  });
});

describe('ss: queues and -i', () => {
  it('reports a listener\'s accept queue and backlog, and in mid-transfer write_seq − snd_una and rcv_nxt − copied_seq', () => {
    const { lab, st } = midTransfer();
    const client = st.client as TcpSocket;
    const server = st.server as TcpSocket;
    const ep = sh(lab, 'ep', 'ss -tnH').stdout.split('\n');
    expect(ep).toHaveLength(2);
    const [state, rq, wq, local, peer] = (ep[0] as string).split(/\s+/);
    expect([state, local, peer]).toEqual(['ESTAB', `10.0.0.2:${client.lport}`, '10.0.0.1:5301']);
    expect(Number(rq)).toBe(0);
    // Send-Q: bytes written and not yet acknowledged.
    // bytes_acked counts the SYN too on the side that connected (tcp_snd_una_update on the SYN-ACK).
    expect(Number(wq)).toBe(st.sent - (client.tcpInfo().bytesAcked - 1));
    expect(Number(wq)).toBeGreaterThan(0);
    const rc = sh(lab, 'rc', 'ss -tanH').stdout.split('\n').map((l) => l.split(/\s+/));
    expect(rc.map((f) => f[0])).toEqual(['LISTEN', 'ESTAB', '']);
    expect(rc[0]?.slice(1, 3)).toEqual(['0', '4096']);
    // Recv-Q: received in order and not yet read by the reader.
    expect(rc[1]?.slice(1, 5)).toEqual([String(server.tcpInfo().bytesReceived - st.received), '0', '10.0.0.1:5301', `10.0.0.2:${client.lport}`]);
  });

  it('prints tcp_stats_print\'s fields in its order, equal to tcp_info, after a tab line (or on one line with -O)', () => {
    const { lab, st } = midTransfer();
    const info = (st.client as TcpSocket).tcpInfo();
    const lines = sh(lab, 'ep', 'ss -tniH').stdout.split('\n');
    expect(lines).toHaveLength(3);
    const fields = infoFields(lines[1] as string);
    const f = new Map(fields);
    expect(fields.map(([k]) => k)).toEqual(ORDER.filter((k) => f.has(k)));
    expect(f.get('cwnd')).toBe(String(info.sndCwnd));
    expect(f.get('mss')).toBe(String(info.sndMss));
    expect(f.get('pmtu')).toBe(String(info.pmtu));
    expect(f.get('bytes_acked')).toBe(String(info.bytesAcked));
    expect(f.get('bytes_sent')).toBe(String(info.bytesSent));
    expect(f.get('segs_out')).toBe(String(info.segsOut));
    expect(f.get('snd_wnd')).toBe(String(info.sndWnd));
    expect(f.get('notsent')).toBe(String(info.notsentBytes));
    expect(f.get('rtt')).toBe(`${info.rtt / 1000}/${info.rttvar / 1000}`);
    expect(f.get('rto')).toBe(String(info.rto / 1000));
    expect(f.get('wscale')).toMatch(/^\d+,\d+$/);
    // -n: sprint_bw's %.0f of cwnd × mss × 8e6 / rtt.
    expect(f.get('send')).toBe(`${Math.round((info.sndCwnd * info.sndMss * 8e6) / info.rtt)}bps`);
    expect(f.has('lastsnd')).toBe(false);
    // Without -n, %.3g with an SI prefix.
    expect(sh(lab, 'ep', 'ss -tiH').stdout.split('\n')[1]).toMatch(/ send \d+(\.\d+)?[kMG]bps /);
    // -O: the same fields after the addresses, on the socket's line.
    const one = sh(lab, 'ep', 'ss -tniHO').stdout;
    expect(one.split('\n')).toHaveLength(2);
    expect(one).toContain(`:5301 cubic ${(lines[1] as string).slice('\t cubic '.length)}`);
    // A listener has what tcp_get_info gives one; UDP has no -i line.
    expect(sh(lab, 'rc', 'ss -tlniH').stdout).toBe('LISTEN 0      4096   0.0.0.0:5201 0.0.0.0:*\n\t cubic cwnd:10\n');
  });
});

/** Run `lab` `ms` milliseconds of virtual time on. */
function runFor(lab: Lab, ms: number): void {
  lab.sim.run({ until: lab.sim.now + ms * 1e6 });
}

/**
 * A connection from the EP to a listener on the RC's port 7000 made with the boards' stacks:
 * the EP writes `writeSize` bytes at a time as long as it can (0: nothing), the RC never reads.
 */
function stalledReader(lab: Lab, writeSize: number): { client: TcpSocket; server: () => TcpSocket | null } {
  const { rc, ep } = lab.boards;
  const l = rc.stack.tcpSocket();
  expect(l.bind(7000).ok).toBe(true);
  expect(l.listen(4).ok).toBe(true);
  let server: TcpSocket | null = null;
  rc.host.createUserTask('accept', (_ctx: ExecContext, task: Task): TaskStep => {
    const r = l.accept();
    if (!r.ok) {
      l.waitReadable(task);
      return 'sleep';
    }
    server = r.sock;
    return 'exit';
  });
  const client = ep.stack.tcpSocket();
  ep.host.createUserTask('writer', (ctx: ExecContext, task: Task): TaskStep => {
    const c = client.state === 'ESTABLISHED' ? { ok: true as const } : client.connect(ctx, { addr: '10.0.0.1', port: 7000 });
    if (c.ok && writeSize === 0) return 'exit';
    const r = c.ok ? client.send(ctx, writeSize) : c;
    if (!r.ok) {
      client.waitWritable(task);
      return 'sleep';
    }
    return 'run';
  });
  return { client, server: () => server };
}

/** The `timer:(NAME,TIME,RETRANS)` of the one line of `out`, split; null without one. */
function timerOf(out: string): { name: string; time: string; retrans: number } | null {
  const m = / timer:\((\w+),([^,]*),(\d+)\)/.exec(out);
  return m === null ? null : { name: m[1] as string, time: m[2] as string, retrans: Number(m[3]) };
}

/** print_ms_timer's text back to milliseconds (`1.574ms` is 1574, `12sec` 12000, `1min3sec` 63000). */
function timerMs(text: string): number {
  const m = /^(?:(\d+)min)?(?:(\d+)(?:sec|\.))?(?:(\d{3})ms)?$/.exec(text);
  expect(m).not.toBeNull();
  const [, min, sec, ms] = m as RegExpExecArray;
  return Number(min ?? 0) * 60_000 + Number(sec ?? 0) * 1000 + Number(ms ?? 0);
}

describe('ss -o: timers', () => {
  it('shows the RTO of a connection with data in flight as inet_diag reports it, after the addresses', () => {
    const { lab, st } = midTransfer();
    const client = st.client as TcpSocket;
    const d = client.diag();
    expect(d.timer).toBe(1);
    const out = sh(lab, 'ep', 'ss -tnoH').stdout;
    // tcp_timer_print: on (ICSK_TIME_RETRANS), print_ms_timer of idiag_expires, icsk_retransmits.
    expect(out).toBe(`ESTAB 0      ${String(client.unackedSeq).padEnd(6)} 10.0.0.2:${client.lport} 10.0.0.1:5301 timer:(on,${String(d.expires).padStart(3, '0')}ms,0)\n`);
    // Below the RTO, in whole jiffies (4 ms at HZ 250).
    expect(d.expires).toBeGreaterThan(0);
    expect(d.expires).toBeLessThanOrEqual(client.tcpInfo().rto / 1000);
    expect(d.expires % 4).toBe(0);
    // The reader's side has nothing in flight: no timer, no field. The listener has none either.
    const rc = sh(lab, 'rc', 'ss -tanoH').stdout.split('\n');
    expect(rc[0]).toMatch(/^LISTEN +0 +4096 +0\.0\.0\.0:5201 +0\.0\.0\.0:\*\s*$/);
    expect(rc[1]).toMatch(/^ESTAB +\d+ +0 +10\.0\.0\.1:5301 +10\.0\.0\.2:\d+$/);
    // -O keeps it on the socket's line before the -i text, which then starts with the tcpi_options flags.
    const one = sh(lab, 'ep', 'ss -tnoiOH').stdout;
    expect(one).toMatch(/:5301 timer:\(on,\d{3}ms,0\) ts cubic wscale:7,7 rto:/);
  });

  it('counts a SYN\'s retransmissions, its timer in whole jiffies, `s.ms` written as ss 6.1 does (`1.700ms`)', () => {
    const lab = bootLab({ seed: 5 });
    // Nobody answers for 10.0.0.3: the SYN goes out again at 1 s (then 3 s, …) until ARP gives up.
    expect(sh(lab, 'ep', 'iperf3 -c 10.0.0.3 &').status).toBe(0);
    const syn = (): { name: string; time: string; retrans: number } => {
      const out = sh(lab, 'ep', 'ss -tnoH').stdout;
      expect(out).toMatch(/^SYN-SENT 0 +1 +10\.0\.0\.2:\d+ 10\.0\.0\.3:5201 timer:\(on,[^)]*\)\n$/);
      return timerOf(out) as { name: string; time: string; retrans: number };
    };
    runFor(lab, 300);
    const first = syn();
    expect(first.time).toMatch(/^\d{3}ms$/);
    expect(timerMs(first.time)).toBeGreaterThanOrEqual(696);
    expect(timerMs(first.time)).toBeLessThanOrEqual(704);
    expect(timerMs(first.time) % 4).toBe(0);
    expect(first.retrans).toBe(0);
    // 100 ms on is exactly 25 jiffies on: the same expiry, 100 ms nearer.
    runFor(lab, 100);
    expect(timerMs(syn().time)).toBe(timerMs(first.time) - 100);
    // The first retransmission, on the jiffy it was due, doubled the RTO: 2 s from then, `1.xxxms` in ss 6.1.
    runFor(lab, 1_000);
    const second = syn();
    expect(second.retrans).toBe(1);
    expect(second.time).toMatch(/^1\.\d{3}ms$/);
    expect(timerMs(second.time)).toBe(timerMs(first.time) + 300 + 2_000 - 1_400);
  });

  it('shows the persist timer with the probes sent while the peer\'s window stays closed, its backoff up to minutes', () => {
    const lab = bootLab({ seed: 5 });
    const { client } = stalledReader(lab, 1000);
    runFor(lab, 2_000);
    expect(client.tcpInfo().sndWnd).toBe(0);
    const seen: string[] = [];
    let retrans = 0;
    for (let t = 2_000; t <= 400_000; t += 7_000) {
      const d = client.diag();
      expect(d.timer).toBe(4);
      const out = timerOf(sh(lab, 'ep', 'ss -tnoH').stdout) as { name: string; time: string; retrans: number };
      expect(out.name).toBe('persist');
      // icsk_probes_out, growing with each unanswered probe.
      expect(out.retrans).toBe(d.retrans);
      expect(out.retrans).toBeGreaterThanOrEqual(retrans);
      retrans = out.retrans;
      // print_ms_timer: milliseconds dropped from 10 s, seconds from 10 min.
      const trunc = d.expires >= 600_000 ? d.expires - (d.expires % 60_000) : d.expires >= 10_000 ? d.expires - (d.expires % 1000) : d.expires;
      expect(timerMs(out.time)).toBe(trunc);
      seen.push(out.time);
      runFor(lab, 7_000);
    }
    // The forms of print_ms_timer the backoff goes through (TCP_RTO_MAX caps it at 2 min).
    expect(seen.some((x) => /^\d\.\d{3}ms$/.test(x))).toBe(true);
    expect(seen.some((x) => /^\d\dsec$/.test(x))).toBe(true);
    expect(seen.some((x) => /^1min(\d+sec)?$/.test(x))).toBe(true);
    expect(retrans).toBeGreaterThan(8);
  });

  it('shows TIME-WAIT\'s timer on the side that closed first after iperf3 ends, then nothing once it expired', () => {
    const lab = bootLab({ seed: 5 });
    expect(sh(lab, 'rc', 'iperf3 -s -D').status).toBe(0);
    expect(sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1').status).toBe(0);
    // The control connection's FIN is still in flight when iperf3 returns.
    expect(sh(lab, 'ep', 'ss -tanoH').stdout).toMatch(/^FIN-WAIT-1 0 +2 +10\.0\.0\.2:\d+ 10\.0\.0\.1:5201 timer:\(on,\d{3}ms,0\)\n$/);
    runFor(lab, 100);
    const out = sh(lab, 'ep', 'ss -tanoH').stdout;
    expect(out).toMatch(/^TIME-WAIT 0 +0 +10\.0\.0\.2:\d+ 10\.0\.0\.1:5201 timer:\(timewait,\d{3}ms,0\)\n$/);
    // The model's TIME_WAIT lasts 1 s (Linux: TCP_TIMEWAIT_LEN, 60 s).
    const ms = timerMs((timerOf(out) as { time: string }).time);
    expect(ms).toBeLessThanOrEqual(1_000);
    runFor(lab, 100);
    expect(timerMs((timerOf(sh(lab, 'ep', 'ss -tanoH').stdout) as { time: string }).time)).toBe(ms - 100);
    // A timewait sock has no INET_DIAG_INFO: -i adds an empty tab line.
    expect(sh(lab, 'ep', 'ss -tanoiH').stdout).toMatch(/timer:\(timewait,\d{3}ms,0\)\n\t\n$/);
    runFor(lab, 1_000);
    expect(sh(lab, 'ep', 'ss -tanoH').stdout).toBe('');
  });

  it('reports an orphan\'s FIN-WAIT-2 timeout as the timewait sock Linux makes of it: timer, no queues, no tcp_info', () => {
    const lab = bootLab({ seed: 5 });
    const { client } = stalledReader(lab, 0);
    runFor(lab, 100);
    expect(client.state).toBe('ESTABLISHED');
    lab.boards.ep.host.createUserTask('close', (ctx: ExecContext): TaskStep => {
      client.close(ctx);
      return 'exit';
    });
    runFor(lab, 100);
    expect(client.state).toBe('FIN_WAIT2');
    const out = sh(lab, 'ep', 'ss -tanoiH').stdout;
    expect(out).toMatch(/^FIN-WAIT-2 0 +0 +10\.0\.0\.2:\d+ 10\.0\.0\.1:7000 timer:\(timewait,\d{3}ms,0\)\n\t\n$/);
  });

  it('lists tcpi_options\' ts, ecn and ecnseen before the congestion control in the -i line, with -o only', () => {
    const lab = bootLab({ seed: 5, sysctl: { 'net.ipv4.tcp_ecn': 1 } });
    const { server } = stalledReader(lab, 1000);
    runFor(lab, 500);
    expect(server()).not.toBeNull();
    // The writer negotiated timestamps and ECN; the reader also saw ECT(0) data (TCP_ECN_SEEN).
    expect(sh(lab, 'ep', 'ss -tnoiH').stdout.split('\n')[1]).toMatch(/^\t ts ecn cubic wscale:/);
    expect(sh(lab, 'rc', 'ss -tnoiH').stdout.split('\n')[1]).toMatch(/^\t ts ecn ecnseen cubic wscale:/);
    // Without -o, tcp_show_info leaves them out.
    expect(sh(lab, 'rc', 'ss -tniH').stdout.split('\n')[1]).toMatch(/^\t cubic wscale:/);
    // A listener's tcp_info has no options.
    expect(sh(lab, 'rc', 'ss -tlnoiH').stdout).toBe('LISTEN 0      4      0.0.0.0:7000 0.0.0.0:*\n\t cubic cwnd:10\n');
  });
});

describe('ss: filters', () => {
  it('filters by state (hiding State for one) and by port and address expressions', () => {
    const { lab, st } = midTransfer();
    const cport = (st.client as TcpSocket).lport;
    const est = sh(lab, 'rc', 'ss -tn state established').stdout.split('\n');
    expect(est[0]).toMatch(/^Recv-Q Send-Q +Local Address:Port +Peer Address:Port/);
    expect(est).toHaveLength(3);
    expect(sh(lab, 'rc', 'ss -tnH state listening').stdout).toBe('0      4096   0.0.0.0:5201 0.0.0.0:*\n');
    expect(sh(lab, 'rc', 'ss -tanH exclude listening').stdout.split(/\s+/)[0]).toBe('ESTAB');
    const port = (line: string): string[] =>
      sh(lab, 'rc', line)
        .stdout.split('\n')
        .filter((l) => l !== '')
        .map((l) => (l.split(/\s+/)[3] as string).split(':')[1] as string);
    expect(port('ss -tanH sport = :5201')).toEqual(['5201']);
    expect(port('ss -tanH sport = :5301')).toEqual(['5301']);
    expect(port(`ss -tanH dport = :${cport}`)).toEqual(['5301']);
    expect(port('ss -tanH dport != :*')).toEqual([]);
    expect(port('ss -tanH "( sport = :5201 or sport = :5301 )"')).toEqual(['5201', '5301']);
    expect(port('ss -tanH not sport eq :5201')).toEqual(['5301']);
    expect(port('ss -tanH sport gt :5201')).toEqual(['5301']);
    expect(port('ss -tanH dst 10.0.0.2')).toEqual(['5301']);
    expect(port('ss -tanH dst 10.0.0.0/24:9')).toEqual([]);
    expect(port('ss -tanH src 10.0.0.1 and sport = 5301')).toEqual(['5301']);
  });

  it('answers a bad filter as ss does', () => {
    const lab = bootLab({ seed: 5 });
    const syntax = sh(lab, 'rc', 'ss -t sport = :22 and');
    expect(syntax.stderr).toMatch(/^ss: bison bellows \(while parsing filter\): "syntax error!" Sorry\.\nUsage: ss \[ OPTIONS \]\n/);
    expect(syntax.status).toBe(255);
    expect(sh(lab, 'rc', 'ss -t dst != 10.0.0.1').status).toBe(255);
    expect(sh(lab, 'rc', 'ss -t state bogus')).toEqual({ stdout: '', stderr: 'ss: wrong state name: bogus\n', status: 255 });
    expect(sh(lab, 'rc', 'ss -t state')).toEqual({ stdout: '', stderr: 'Command line is not complete. Try option "help"\n', status: 255 });
    expect(sh(lab, 'rc', 'ss -t dst foo')).toEqual({ stdout: '', stderr: 'Error: an inet prefix is expected rather than "foo".\nCannot parse dst/src address.\n', status: 1 });
    expect(sh(lab, 'rc', 'ss -t sport = :ssh').status).toBe(1);
  });
});

describe('ss: options', () => {
  it('prints getopt_long\'s errors and the usage with exit 255, help and version on stdout', () => {
    const lab = bootLab({ seed: 5 });
    const bad = sh(lab, 'rc', 'ss -q');
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^ss: invalid option -- 'q'\nUsage: ss \[ OPTIONS \]\n {7}ss \[ OPTIONS \] \[ FILTER \]\n/);
    expect(bad.stderr.endsWith('big := {established|syn-sent|fin-wait-{1,2}|closed|close-wait|last-ack|listening|closing}\n')).toBe(true);
    expect(bad.status).toBe(255);
    expect(sh(lab, 'rc', 'ss --s').stderr).toMatch(/^ss: option '--s' is ambiguous; possibilities: '--sctp' '--socket' '--summary'\nUsage/);
    expect(sh(lab, 'rc', 'ss --tcp=1').stderr).toMatch(/^ss: option '--tcp' doesn't allow an argument\n/);
    expect(sh(lab, 'rc', 'ss -f').stderr).toMatch(/^ss: option requires an argument -- 'f'\n/);
    expect(sh(lab, 'rc', 'ss -f bogus').stderr).toMatch(/^ss: "bogus" is invalid family\nUsage/);
    const help = sh(lab, 'rc', 'ss -h');
    expect(help.stdout).toBe(bad.stderr.slice(bad.stderr.indexOf('\n') + 1));
    expect(help.status).toBe(0);
    expect(sh(lab, 'rc', 'ss --version')).toEqual({ stdout: 'ss utility, iproute2-6.1.0\n', stderr: '', status: 0 });
    expect(sh(lab, 'rc', 'ss -Z')).toEqual({ stdout: '', stderr: 'ss: SELinux is not enabled.\n', status: 1 });
  });

  it('refuses what the lab does not model, with a message and exit 1', () => {
    const lab = bootLab({ seed: 5 });
    for (const line of ['ss -x', 'ss -s', 'ss -tm', 'ss -tp', 'ss -te', 'ss -to -e', 'ss -A unix', 'ss -f link', 'ss -t dev ntb0']) {
      const r = sh(lab, 'rc', line);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^ss: the lab (models the TCP and UDP sockets of the board's IPv4 stack only: .* is not supported|does not model dev filters)\n$/);
      expect(r.status).toBe(1);
    }
  });
});
