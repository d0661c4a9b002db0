/**
 * iproute2's ss over the boards' TCP and UDP sockets: the compact column layout, the queues
 * inet_diag reports for a listener and a connection in mid-transfer, the `-i` line against
 * tcp_info, state and port filters, and its option errors.
 */
import { describe, expect, it } from 'vitest';
import type { TcpSocket } from '@ntbsim/net-core';
import { labCommands } from '../../src/commands.js';
import { startStream, type StreamState } from '../../src/faults/traffic.js';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { defaultVars } from '../../src/lab/script.js';
import { runLine } from '../../src/lab/shell.js';
import type { CommandResult } from '../../src/types.js';

function sh(lab: Lab, board: 'rc' | 'ep', line: string): CommandResult {
  return runLine(line, { lab, board: lab.boards[board], vars: defaultVars(lab, lab.boards[board]) }, labCommands());
}

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
    for (const line of ['ss -x', 'ss -s', 'ss -tm', 'ss -tp', 'ss -te', 'ss -A unix', 'ss -f link', 'ss -t dev ntb0']) {
      const r = sh(lab, 'rc', line);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^ss: the lab (models the TCP and UDP sockets of the board's IPv4 stack only: .* is not supported|does not model dev filters)\n$/);
      expect(r.status).toBe(1);
    }
  });
});
