/**
 * ARP in the lab: `ip neigh`, /proc/net/arp, and what ping and iperf3 print when a neighbour
 * does not resolve (iproute2 ipneigh.c, net/ipv4/arp.c arp_seq_show, iputils ping).
 */
import { formatMac } from '@ntbsim/net-core';
import { describe, expect, it } from 'vitest';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { sh } from '../labShell.js';

const mac = (lab: Lab, board: 'rc' | 'ep'): string => formatMac(lab.boards[board].netdev()?.ndev.devAddr ?? new Uint8Array(6));

describe('ARP in the lab', () => {
  it('starts empty, resolves on the first ping (the peer learns the asker from its request), and shows it as ip neigh and /proc/net/arp print it', () => {
    const lab = bootLab({ seed: 2 });
    expect(sh(lab, 'ep', 'ip neigh').stdout).toBe('');
    expect(sh(lab, 'ep', 'cat /proc/net/arp').stdout).toBe('IP address       HW type     Flags       HW address            Mask     Device\n');
    expect(sh(lab, 'ep', 'ping -c 1 -q 10.0.0.1').status).toBe(0);
    expect(sh(lab, 'ep', 'ip neigh').stdout).toBe(`10.0.0.1 dev ntb0 lladdr ${mac(lab, 'rc')} REACHABLE \n`);
    // The RC learnt the EP from its request (STALE) and answered the echo through it (DELAY).
    expect(sh(lab, 'rc', 'ip neigh show dev ntb0').stdout).toBe(`10.0.0.2 lladdr ${mac(lab, 'ep')} DELAY \n`);
    expect(sh(lab, 'ep', 'cat /proc/net/arp').stdout).toBe(`IP address       HW type     Flags       HW address            Mask     Device\n10.0.0.1         0x1         0x2         ${mac(lab, 'rc')}     *        ntb0\n`);
    expect(sh(lab, 'ep', 'ls /proc/net').stdout).toBe('arp  dev  netstat  snmp  softnet_stat\n');
  });

  it('ping to an address nobody owns: three broadcast probes, then Destination Host Unreachable from itself for each waiting request, +N errors and pipe', () => {
    const lab = bootLab({ seed: 2 });
    const r = sh(lab, 'ep', 'ping -c 2 10.0.0.3');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      'PING 10.0.0.3 (10.0.0.3) 56(84) bytes of data.\n' +
        'From 10.0.0.2 icmp_seq=1 Destination Host Unreachable\n' +
        'From 10.0.0.2 icmp_seq=2 Destination Host Unreachable\n' +
        '\n--- 10.0.0.3 ping statistics ---\n' +
        '2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1000ms\n' +
        'pipe 2\n',
    );
    expect(sh(lab, 'ep', 'ip neigh').stdout).toBe('10.0.0.3 dev ntb0 FAILED \n');
    expect(sh(lab, 'ep', 'cat /proc/net/arp').stdout).toMatch(/\n10\.0\.0\.3 {9}0x1 {9}0x0 {9}00:00:00:00:00:00 {5}\* {8}ntb0\n$/);
    // The requests went to the RC as broadcasts, which ignored them (not its address).
    expect(lab.boards.rc.netdev()?.ndev.stats.rxPackets).toBe(3);
    expect(lab.boards.rc.stack.arp.entries()).toEqual([]);
    // Under -w the first error ends it; -q keeps the error lines out.
    const w = sh(lab, 'ep', 'ping -w 10 -q 10.0.0.4');
    expect(w.stdout).toMatch(/\n3 packets transmitted, 0 received, \+3 errors, 100% packet loss, time 2000ms\npipe 3\n$/);
    expect(w.stdout).not.toContain('From ');
    expect(sh(lab, 'ep', 'nstat -az IcmpOutDestUnreachs').stdout).toMatch(/IcmpOutDestUnreachs +5 /);
  });

  it('iperf3 to an address nobody owns fails to connect with No route to host', () => {
    const lab = bootLab({ seed: 2 });
    const r = sh(lab, 'ep', 'iperf3 -c 10.0.0.3 -t 1');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: No route to host\n');
  });

  it('ip neigh add/replace/change/del and flush, with iproute2 errors and exit codes; nothing half-applied', () => {
    const lab = bootLab({ seed: 2 });
    const ok = (line: string): string => {
      const r = sh(lab, 'ep', line);
      expect([line, r.status, r.stderr]).toEqual([line, 0, '']);
      return r.stdout;
    };
    const err = (line: string, status: number, stderr: string): void => {
      const before = lab.boards.ep.stack.arp.entries();
      const r = sh(lab, 'ep', line);
      expect([line, r.status, r.stderr]).toEqual([line, status, stderr]);
      expect(lab.boards.ep.stack.arp.entries()).toEqual(before);
    };
    ok('ip neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev ntb0');
    expect(ok('ip neigh show')).toBe('10.0.0.9 dev ntb0 lladdr 02:00:00:00:00:09 PERMANENT \n');
    err('ip neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev ntb0', 2, 'RTNETLINK answers: File exists\n');
    ok('ip neigh replace 10.0.0.9 lladdr 02:00:00:00:00:0a dev ntb0 nud stale');
    ok('ip neigh change 10.0.0.9 dev ntb0 nud reachable');
    expect(ok('ip neigh show nud reachable')).toBe('10.0.0.9 dev ntb0 lladdr 02:00:00:00:00:0a REACHABLE \n');
    expect(ok('ip neigh show nud stale')).toBe('');
    // nud words OR together; permanent, reachable and failed go by any prefix.
    ok('ip neigh add 10.0.0.6 lladdr 02:00:00:00:00:06 dev ntb0 nud perm');
    expect(ok('ip neigh show nud reach nud permanent')).toBe('10.0.0.9 dev ntb0 lladdr 02:00:00:00:00:0a REACHABLE \n10.0.0.6 dev ntb0 lladdr 02:00:00:00:00:06 PERMANENT \n');
    ok('ip neigh del 10.0.0.6 dev ntb0');
    err('ip neigh change 10.0.0.8 lladdr 02:00:00:00:00:08 dev ntb0', 2, 'RTNETLINK answers: No such file or directory\n');
    err('ip neigh add 10.0.0.8 dev ntb0', 2, 'Error: No link layer address given.\n');
    err('ip neigh add 10.0.0.8 lladdr 02:00:00:00:00 dev ntb0', 2, 'Error: Invalid link address.\n');
    err('ip neigh add 10.0.0.8 lladdr 02:zz:00:00:00:00 dev ntb0', 255, '"02:zz:00:00:00:00" is invalid lladdr.\n');
    err('ip neigh add 10.0.0.8 lladdr 02:00:00:00:00:08 dev ntb0 nud bogus', 255, 'Error: argument "bogus" is wrong: nud state is bad\n');
    err('ip neigh add 10.0.0.8 lladdr 02:00:00:00:00:08 dev ntb0 nud probe', 2, 'RTNETLINK answers: Invalid argument\n');
    err('ip neigh add 10.0.0.8 lladdr 02:00:00:00:00:08', 255, 'Device and destination are required arguments.\n');
    err('ip neigh add 10.0.0.8 lladdr 02:00:00:00:00:08 dev eth9', 255, 'Cannot find device "eth9"\n');
    err('ip neigh flush', 255, 'Flush requires arguments.\n');
    err('ip neigh add 10.0.0.x lladdr 02:00:00:00:00:08 dev ntb0', 1, 'Error: inet address is expected rather than "10.0.0.x".\n');
    err('ip neigh show to 10.0.0.0/33', 1, 'Error: inet prefix is expected rather than "10.0.0.0/33".\n');
    err('ip -s neigh', 2, 'ip: the lab does not model the neighbour cache statistics of ip -s neigh (ref, used, probes): ip neigh shows the entries\n');
    err('ip neigh frob', 255, 'Command "frob" is unknown, try "ip neigh help".\n');
    // flush skips permanent entries; -s reports the rounds.
    ok('ip neigh replace 10.0.0.7 lladdr 02:00:00:00:00:07 dev ntb0 nud permanent');
    expect(ok('ip -s neigh flush dev ntb0')).toBe('\n*** Round 1, deleting 1 entries ***\n*** Flush is complete after 1 round ***\n');
    expect(ok('ip -s neigh flush dev ntb0')).toBe('Nothing to flush.\n');
    expect(ok('ip neigh')).toBe('10.0.0.7 dev ntb0 lladdr 02:00:00:00:00:07 PERMANENT \n');
    ok('ip neigh del 10.0.0.7 dev ntb0');
    err('ip neigh del 10.0.0.7 dev ntb0', 2, 'RTNETLINK answers: No such file or directory\n');
    expect(ok('ip neigh')).toBe('');
  });

  it('sysctl reads and writes the ARP settings per device; with arp_evict_nocarrier=0 a QP link flap keeps the entries', () => {
    const lab = bootLab({ seed: 2 });
    expect(sh(lab, 'ep', 'sysctl net.ipv4.neigh.ntb0.retrans_time_ms net.ipv4.conf.ntb0.arp_evict_nocarrier').stdout).toBe('net.ipv4.neigh.ntb0.retrans_time_ms = 1000\nnet.ipv4.conf.ntb0.arp_evict_nocarrier = 1\n');
    expect(sh(lab, 'ep', 'sysctl -a').stdout).toContain('net.ipv4.neigh.default.unres_qlen_bytes = 212992\n');
    expect(sh(lab, 'ep', 'sysctl -w net.ipv4.neigh.ntb0.retrans_time_ms=-3')).toMatchObject({ status: 255, stderr: 'sysctl: setting key "net.ipv4.neigh.ntb0.retrans_time_ms": Invalid argument\n' });
    expect(sh(lab, 'ep', 'sysctl net.ipv4.neigh.eth0.retrans_time_ms')).toMatchObject({ status: 255, stderr: 'sysctl: cannot stat /proc/sys/net/ipv4/neigh/eth0/retrans_time_ms: No such file or directory\n' });
    expect(sh(lab, 'ep', 'ping -c 1 -q 10.0.0.1').status).toBe(0);
    const flap = (): string => {
      expect(sh(lab, 'rc', 'fault qp-link down').status).toBe(0);
      lab.sim.run({ until: lab.sim.now + 20e6 });
      expect(sh(lab, 'rc', 'fault qp-link up').status).toBe(0);
      lab.sim.run({ until: lab.sim.now + 50e6 });
      return sh(lab, 'ep', 'ip neigh').stdout;
    };
    expect(flap()).toBe('');
    expect(sh(lab, 'ep', 'ping -c 1 -q 10.0.0.1').status).toBe(0);
    expect(sh(lab, 'ep', 'sysctl -q -w net.ipv4.conf.ntb0.arp_evict_nocarrier=0')).toMatchObject({ status: 0, stdout: '' });
    expect(flap()).toMatch(/^10\.0\.0\.1 dev ntb0 lladdr [0-9a-f:]{17} (REACHABLE|STALE|DELAY) \n$/);
  });

  it('a permanent entry with the wrong MAC is a black hole: the peer drops the frames as for another host (rx_otherhost_dropped)', () => {
    const lab = bootLab({ seed: 2 });
    expect(sh(lab, 'ep', 'ip neigh add 10.0.0.1 lladdr 02:de:ad:00:00:01 dev ntb0').status).toBe(0);
    expect(sh(lab, 'ep', 'ping -c 2 -W 1 -q 10.0.0.1').stdout).toMatch(/2 packets transmitted, 0 received, 100% packet loss/);
    expect(lab.boards.rc.netdev()?.ndev.stats.rxOtherhostDropped).toBe(2);
    expect(sh(lab, 'rc', 'ip -s -s link show ntb0').stdout).toMatch(/RX errors: +length +crc +frame +fifo +overrun +otherhost\n +0 +0 +0 +0 +0 +2 \n/);
  });
});
