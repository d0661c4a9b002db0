/**
 * /proc/net/netstat and iproute2's nstat over it: the kernel's TcpExt/IpExt layout, every
 * counter the stack keeps printed once, nstat's ids, increments since the history, patterns,
 * JSON, and its option errors.
 */
import { describe, expect, it } from 'vitest';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { sh } from '../labShell.js';


/** The `Name: …` header/value pairs of a /proc/net MIB file, by name. */
function mibs(text: string): Map<string, Map<string, number>> {
  const lines = text.split('\n').slice(0, -1);
  const out = new Map<string, Map<string, number>>();
  for (let i = 0; i < lines.length; i += 2) {
    const [name = '', ...keys] = (lines[i] as string).split(' ');
    const [name2, ...vals] = (lines[i + 1] as string).split(' ');
    expect(name2).toBe(name);
    expect(vals).toHaveLength(keys.length);
    out.set(name.slice(0, -1), new Map(keys.map((k, j) => [k, Number(vals[j])])));
  }
  return out;
}

/** nstat's text lines as [id, value], after checking the `#kernel` header and the column layout. */
function nstatRows(text: string): [string, number][] {
  const lines = text.split('\n').slice(0, -1);
  expect(lines[0]).toBe('#kernel');
  return lines.slice(1).map((l) => {
    expect(l).toMatch(/^\S+ +\d+ +0\.0$/);
    expect(l.length).toBe(54);
    return [l.slice(0, 32).trim(), Number(l.slice(32, 48))];
  });
}

function tcpRun(lab: Lab): void {
  expect(sh(lab, 'rc', 'iperf3 -s -D').status).toBe(0);
  expect(sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1').status).toBe(0);
}

describe('/proc/net/netstat', () => {
  it('TcpExt then IpExt as netstat_seq_show prints them, with every counter the stack keeps exactly once', () => {
    const lab = bootLab({ seed: 5 });
    tcpRun(lab);
    const text = sh(lab, 'ep', 'cat /proc/net/netstat').stdout;
    const m = mibs(text);
    expect([...m.keys()]).toEqual(['TcpExt', 'IpExt']);
    const tcpExt = m.get('TcpExt') as Map<string, number>;
    expect([...tcpExt.keys()].slice(0, 4)).toEqual(['SyncookiesSent', 'SyncookiesRecv', 'SyncookiesFailed', 'EmbryonicRsts']);
    expect(tcpExt.size).toBe(135);
    expect([...tcpExt.keys()].slice(14, 20)).toEqual(['PAWSEstab', 'BeyondWindow', 'TSEcrRejected', 'PAWSOldAck', 'PAWSTimewait', 'DelayedACKs']);
    const ext = lab.boards.ep.stack.tcpExt;
    expect(ext.TCPOrigDataSent).toBeGreaterThan(1000);
    expect(tcpExt.get('TCPOrigDataSent')).toBe(ext.TCPOrigDataSent);
    expect(tcpExt.get('TCPDelivered')).toBe(ext.TCPDelivered);
    // Nothing the model counts is left out or printed twice: the sums agree.
    const sum = (xs: Iterable<number>): number => [...xs].reduce((a, b) => a + b, 0);
    expect(sum(tcpExt.values())).toBe(sum(Object.values(ext)));
    const ip = lab.boards.ep.stack.snmp.Ip;
    expect(m.get('IpExt')?.get('OutOctets')).toBe(ip.OutOctets);
    expect(m.get('IpExt')?.get('InNoECTPkts')).toBe(ip.InReceives);
    expect(sh(lab, 'ep', 'ls /proc/net').stdout).toBe('arp  dev  netstat  snmp  softnet_stat\n');
  });
});

describe('nstat', () => {
  it('prints absolute counters first, then only what changed since the last run, /proc/net/snmp ids before TcpExt and IpExt', () => {
    const lab = bootLab({ seed: 5 });
    const first = nstatRows(sh(lab, 'rc', 'nstat').stdout);
    const ip = lab.boards.rc.stack.snmp.Ip;
    expect(first.find(([id]) => id === 'IpInReceives')?.[1] ?? 0).toBe(ip.InReceives);
    expect(sh(lab, 'ep', 'ping -c 3 -i 0.2 -q 10.0.0.1').status).toBe(0);
    const rows = nstatRows(sh(lab, 'rc', 'nstat').stdout);
    expect(rows).toEqual([
      ['IpInReceives', 3],
      ['IpInDelivers', 3],
      ['IpOutRequests', 3],
      ['IpOutTransmits', 3],
      ['IcmpInMsgs', 3],
      ['IcmpInEchos', 3],
      ['IcmpOutMsgs', 3],
      ['IcmpOutEchoReps', 3],
      ['IcmpMsgInType8', 3],
      ['IcmpMsgOutType0', 3],
      ['IpExtInOctets', 3 * 84],
      ['IpExtOutOctets', 3 * 84],
      ['IpExtInNoECTPkts', 3],
    ]);
    expect(nstatRows(sh(lab, 'rc', 'nstat').stdout)).toEqual([]);
    // -a prints absolute values; the constants (IpForwarding, TcpRtoMin, TcpCurrEstab …) never.
    const abs = nstatRows(sh(lab, 'rc', 'nstat -az').stdout);
    expect(abs.find(([id]) => id === 'IpInReceives')?.[1]).toBe(ip.InReceives);
    expect(abs.map(([id]) => id).filter((id) => /^(IpForwarding|IpDefaultTTL|TcpRto|TcpMaxConn|TcpCurrEstab)/.test(id))).toEqual([]);
    expect(abs.map(([id]) => id)).toContain('TcpExtTcpTimeoutRehash');
  });

  it('keeps one history per user: sudo nstat does not consume the user\'s increments; -s leaves it, -r resets it, -n only updates it', () => {
    const lab = bootLab({ seed: 5 });
    sh(lab, 'rc', 'nstat -n');
    sh(lab, 'rc', 'sudo nstat -n');
    expect(sh(lab, 'ep', 'ping -c 2 -i 0.2 -q 10.0.0.1').status).toBe(0);
    expect(sh(lab, 'rc', 'nstat -n').stdout).toBe('');
    expect(nstatRows(sh(lab, 'rc', 'sudo nstat -s IcmpInEchos').stdout)).toEqual([['IcmpInEchos', 2]]);
    expect(nstatRows(sh(lab, 'rc', 'sudo nstat IcmpInEchos').stdout)).toEqual([['IcmpInEchos', 2]]);
    expect(nstatRows(sh(lab, 'rc', 'sudo nstat IcmpInEchos').stdout)).toEqual([]);
    expect(nstatRows(sh(lab, 'rc', 'nstat IcmpInEchos').stdout)).toEqual([]);
    expect(nstatRows(sh(lab, 'rc', 'nstat -r IcmpInEchos').stdout)).toEqual([['IcmpInEchos', 2]]);
  });

  it('a pattern-limited update keeps the old history of the counters it did not select', () => {
    const lab = bootLab({ seed: 5 });
    expect(sh(lab, 'ep', 'ping -c 1 -q 10.0.0.1').status).toBe(0);
    sh(lab, 'rc', 'nstat -n');
    expect(sh(lab, 'ep', 'ping -c 2 -i 0.2 -q 10.0.0.1').status).toBe(0);
    expect(nstatRows(sh(lab, 'rc', "nstat 'Icmp*Echos'").stdout)).toEqual([['IcmpInEchos', 2]]);
    expect(nstatRows(sh(lab, 'rc', 'nstat IpInReceives IcmpInEchos').stdout)).toEqual([['IpInReceives', 2]]);
  });

  it('-j prints json_writer\'s object under "kernel", -p indents it', () => {
    const lab = bootLab({ seed: 5 });
    sh(lab, 'rc', 'nstat -n');
    expect(sh(lab, 'ep', 'ping -c 1 -q 10.0.0.1').status).toBe(0);
    expect(sh(lab, 'rc', 'nstat -s -j IcmpIn*').stdout).toBe('{"kernel":{"IcmpInMsgs":1,"IcmpInEchos":1}}\n');
    expect(sh(lab, 'rc', 'nstat -jp IcmpIn*').stdout).toBe('{\n    "kernel": {\n        "IcmpInMsgs": 1,\n        "IcmpInEchos": 1\n    }\n}\n');
    expect(sh(lab, 'rc', 'nstat --json --pretty Nothing*').stdout).toBe('{\n    "kernel": {}\n}\n');
  });

  it('refuses bad options as getopt_long does, with the usage and status 255, and changes no history', () => {
    const lab = bootLab({ seed: 5 });
    sh(lab, 'rc', 'nstat -n');
    expect(sh(lab, 'ep', 'ping -c 1 -q 10.0.0.1').status).toBe(0);
    const bad = sh(lab, 'rc', 'nstat -x');
    expect(bad.status).toBe(255);
    expect(bad.stderr).toMatch(/^nstat: invalid option -- 'x'\nUsage: nstat \[OPTION\] \[ PATTERN \[ PATTERN \] \]\n/);
    expect(sh(lab, 'rc', 'nstat --bogus').stderr).toMatch(/^nstat: unrecognized option '--bogus'\n/);
    expect(sh(lab, 'rc', 'nstat --zeros=1').stderr).toMatch(/^nstat: option '--zeros' doesn't allow an argument\n/);
    expect(sh(lab, 'rc', 'nstat -t 0')).toEqual({ stdout: '', stderr: 'nstat: invalid time constant divisor\n', status: 255 });
    expect(sh(lab, 'rc', 'nstat -t').stderr).toMatch(/^nstat: option requires an argument -- 't'\n/);
    expect(sh(lab, 'rc', 'nstat -d 5').status).toBe(255);
    expect(sh(lab, 'rc', 'nstat -h')).toMatchObject({ stdout: '', status: 255 });
    expect(sh(lab, 'rc', 'nstat -V').stdout).toBe('nstat utility, iproute2-6.1.0\n');
    expect(nstatRows(sh(lab, 'rc', 'nstat --ign --noup IcmpInEchos').stdout)).toEqual([['IcmpInEchos', 1]]);
    expect(nstatRows(sh(lab, 'rc', 'nstat IcmpInEchos').stdout)).toEqual([['IcmpInEchos', 1]]);
  });
});
