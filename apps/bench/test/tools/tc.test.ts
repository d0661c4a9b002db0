/**
 * iproute2's tc over the boards' qdiscs: print_qdisc's layout (checked against tc 6.1 on
 * Linux 6.18), the `-s` counters equal to the model's per-TX-queue qdiscs after traffic, mq's
 * line the sum of its children, what a closed or never-opened device shows, `-j`/`-p`, `-o`,
 * `-r`, `-color`, tc's abbreviations, and its errors and exit statuses.
 */
import { FqCodel, type FqCodelFlowStats, type NetDevice } from '@ntbsim/net-core';
import { describe, expect, it } from 'vitest';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { sprintSize, sprintTime } from '../../src/tools/tc/util.js';
import type { CommandResult } from '../../src/types.js';
import { labShell, sh } from '../labShell.js';

function ntb0(lab: Lab, board: 'rc' | 'ep'): NetDevice {
  const nd = lab.boards[board].netdev();
  if (nd === null) throw new Error(`${board}: no ntb0`);
  return nd.ndev;
}

const PRIO = 'bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1';

/** The two `-s` lines of a qdisc whose counters are `c` (print_tcstats2_attr). */
function statLines(c: { bytes: number; packets: number; drops: number; overlimits: number; requeues: number; backlog: number; qlen: number }): string[] {
  return [` Sent ${c.bytes} bytes ${c.packets} pkt (dropped ${c.drops}, overlimits ${c.overlimits} requeues ${c.requeues}) `, ` backlog ${sprintSize(c.backlog)} ${c.qlen}p requeues ${c.requeues}`];
}

/** TX queue `q`'s qdisc counters as the model keeps them. */
function queueCounters(dev: NetDevice, q: number): Parameters<typeof statLines>[0] {
  const qd = dev.txQueue(q).qdisc;
  return { ...qd.stats, backlog: qd.backlog, qlen: qd.qlen };
}

/** The sum of the counters of TX queues 0..n-1. */
function sumCounters(dev: NetDevice, n: number): Parameters<typeof statLines>[0] {
  const all = Array.from({ length: n }, (_, q) => queueCounters(dev, q));
  const sum = (k: keyof Parameters<typeof statLines>[0]): number => all.reduce((s, c) => s + c[k], 0);
  return { bytes: sum('bytes'), packets: sum('packets'), drops: sum('drops'), overlimits: sum('overlimits'), requeues: sum('requeues'), backlog: sum('backlog'), qlen: sum('qlen') };
}

/** A lab with two memory windows and two queues on both boards (as `--mws 2` and `ethtool -L ntb0 combined 2`), and room for the seed's `-w 512M`. */
function twoQueues(seed: number): Lab {
  const lab = bootLab({ seed, vntb: { mwSizes: [1 << 20, 1 << 20] }, sysctl: { 'net.core.wmem_max': 1 << 30, 'net.core.rmem_max': 1 << 30 } });
  for (const b of ['ep', 'rc'] as const) expect(sh(lab, b, 'ethtool -L ntb0 combined 2').status).toBe(0);
  return lab;
}

describe('tc qdisc show: layout', () => {
  it('lists every device with dev NAME: lo noqueue refcnt 2, ntb0 mq (refcnt 1, not printed) and a pfifo_fast per real TX queue', () => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'rc', 'tc qdisc show')).toEqual({
      stdout: ['qdisc noqueue 0: dev lo root refcnt 2 ', 'qdisc mq 0: dev ntb0 root ', `qdisc pfifo_fast 0: dev ntb0 parent :1 ${PRIO}`, ''].join('\n'),
      stderr: '',
      status: 0,
    });
    // With dev, the lines leave the device out.
    expect(sh(lab, 'rc', 'tc qdisc show dev lo').stdout).toBe('qdisc noqueue 0: root refcnt 2 \n');
    expect(sh(lab, 'rc', 'tc qdisc show dev ntb0').stdout).toBe(`qdisc mq 0: root \nqdisc pfifo_fast 0: parent :1 ${PRIO}\n`);
  });

  it('a single-queue ntb0 (the baseline driver) has one pfifo_fast root with refcnt 2', () => {
    const lab = bootLab({ seed: 3, params: { transport: {}, netdev: { variant: 'baseline' } } });
    expect(sh(lab, 'ep', 'tc qdisc show dev ntb0').stdout).toBe(`qdisc pfifo_fast 0: root refcnt 2 ${PRIO}\n`);
    expect(sh(lab, 'ep', 'ip link show ntb0').stdout).toContain(' qdisc pfifo_fast state UP ');
  });

  it('mq\'s children are the real TX queues, newest first (:2 then :1), following ethtool -L', () => {
    const lab = twoQueues(4);
    expect(sh(lab, 'ep', 'tc qdisc show dev ntb0').stdout).toBe(`qdisc mq 0: root \nqdisc pfifo_fast 0: parent :2 ${PRIO}\nqdisc pfifo_fast 0: parent :1 ${PRIO}\n`);
    expect(sh(lab, 'ep', 'ethtool -L ntb0 combined 1').status).toBe(0);
    expect(sh(lab, 'ep', 'tc qdisc show dev ntb0').stdout).toBe(`qdisc mq 0: root \nqdisc pfifo_fast 0: parent :1 ${PRIO}\n`);
  });

  it('a closed device keeps its qdiscs; a never-opened one has the builtin noop, which tc does not list (ip link says noop)', () => {
    const lab = bootLab({ seed: 5 });
    expect(sh(lab, 'ep', 'ip link set ntb0 down').status).toBe(0);
    expect(sh(lab, 'ep', 'tc qdisc show dev ntb0').stdout).toBe(`qdisc mq 0: root \nqdisc pfifo_fast 0: parent :1 ${PRIO}\n`);
    expect(sh(lab, 'ep', 'ip link set lo down').status).toBe(0);
    expect(sh(lab, 'ep', 'tc qdisc show dev lo').stdout).toBe('qdisc noqueue 0: root refcnt 2 \n');
    expect(sh(lab, 'ep', 'rmmod ntb_netdev').status).toBe(0);
    expect(sh(lab, 'ep', 'tc qdisc show dev ntb0')).toEqual({ stdout: '', stderr: 'Cannot find device "ntb0"\n', status: 1 });
    expect(sh(lab, 'ep', 'modprobe ntb_netdev').status).toBe(0);
    expect(sh(lab, 'ep', 'ip link show ntb0').stdout).toContain(' qdisc noop state DOWN ');
    expect(sh(lab, 'ep', 'tc qdisc show dev ntb0')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, 'ep', 'tc -s qdisc show')).toEqual({ stdout: 'qdisc noqueue 0: dev lo root refcnt 2 \n Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n backlog 0b 0p requeues 0\n', stderr: '', status: 0 });
    expect(sh(lab, 'ep', 'tc -j qdisc show dev ntb0').stdout).toBe('[]\n');
    expect(sh(lab, 'ep', 'tc -j -p qdisc show dev ntb0').stdout).toBe('[ ]\n');
    expect(sh(lab, 'ep', 'ip link set ntb0 up').status).toBe(0);
    expect(sh(lab, 'ep', 'tc qdisc show dev ntb0').stdout).toBe(`qdisc mq 0: root \nqdisc pfifo_fast 0: parent :1 ${PRIO}\n`);
  });

  it('tc\'s abbreviations of options, object and command, and the usages on stderr with status 0', () => {
    const lab = bootLab({ seed: 3 });
    const full = sh(lab, 'rc', 'tc -statistics qdisc show dev ntb0');
    for (const line of ['tc -s q s dev ntb0', 'tc -st qd sh dev ntb0', 'tc -stats qdisc list dev ntb0', 'tc -s qdisc ls dev ntb0', 'tc -s qdisc lst dev ntb0', 'tc - qdisc show dev ntb0', 'tc -s -s -d qdisc show dev ntb0', 'tc -s qdisc show dev if2']) {
      expect({ line, r: sh(lab, 'rc', line) }).toEqual({ line, r: full });
    }
    expect(sh(lab, 'rc', 'tc qdisc').stdout).toBe(sh(lab, 'rc', 'tc qdisc show').stdout);
    for (const line of ['tc', 'tc help', 'tc -h', 'tc -help', 'tc h']) {
      const r = sh(lab, 'rc', line);
      expect({ line, stdout: r.stdout, status: r.status, first: r.stderr.split('\n')[0] }).toEqual({ line, stdout: '', status: 0, first: 'Usage:\ttc [ OPTIONS ] OBJECT { COMMAND | help }' });
    }
    const q = sh(lab, 'rc', 'tc qdisc help');
    expect([q.stdout, q.status, q.stderr.split('\n')[0]]).toEqual(['', 0, 'Usage: tc qdisc [ add | del | replace | change | show ] dev STRING']);
    // tc_qdisc_list prints the usage for `help` and goes on listing.
    const h = sh(lab, 'rc', 'tc qdisc show dev ntb0 help');
    expect([h.stdout, h.status, h.stderr]).toEqual([sh(lab, 'rc', 'tc qdisc show dev ntb0').stdout, 0, q.stderr]);
  });

  it('-V prints the iproute2 release and the libbpf it runs with', () => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'rc', 'tc -V')).toEqual({ stdout: 'tc utility, iproute2-6.1.0, libbpf 1.1.2\n', stderr: '', status: 0 });
    expect(sh(lab, 'rc', 'tc -s -Version qdisc').stdout).toBe('tc utility, iproute2-6.1.0, libbpf 1.1.2\n');
  });
});

describe('tc -s qdisc show: the model\'s counters', () => {
  it('after iperf3 over two queues: each pfifo_fast is its TX queue\'s qdisc, mq the sum, on both boards', () => {
    const lab = twoQueues(6);
    expect(sh(lab, 'rc', 'iperf3 -s -D').status).toBe(0);
    expect(sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1 -P 4').status).toBe(0);
    for (const b of ['ep', 'rc'] as const) {
      const dev = ntb0(lab, b);
      const expected = [
        'qdisc mq 0: root ',
        ...statLines(sumCounters(dev, dev.numTxQueues)),
        `qdisc pfifo_fast 0: parent :2 ${PRIO}`,
        ...statLines(queueCounters(dev, 1)),
        `qdisc pfifo_fast 0: parent :1 ${PRIO}`,
        ...statLines(queueCounters(dev, 0)),
        '',
      ];
      expect(sh(lab, b, 'tc -s qdisc show dev ntb0').stdout).toBe(expected.join('\n'));
      // Both queues carried traffic: the data on the EP, the ACKs on the RC.
      expect(queueCounters(dev, 0).packets).toBeGreaterThan(0);
      expect(queueCounters(dev, 1).packets).toBeGreaterThan(0);
    }
    expect(queueCounters(ntb0(lab, 'ep'), 0).bytes + queueCounters(ntb0(lab, 'ep'), 1).bytes).toBeGreaterThan(10_000_000);
  });

  it('mid-transfer the backlog and qlen are the queues\' at that instant (the RC\'s ACKs standing in its queue); mq keeps counting a queue ethtool -L took away', () => {
    const lab = twoQueues(7);
    expect(sh(lab, 'rc', 'iperf3 -s -D').status).toBe(0);
    expect(sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 3 -P 4 -w 512M &').status).toBe(0);
    expect(sh(lab, 'ep', 'sleep 2').status).toBe(0);
    for (const b of ['ep', 'rc'] as const) {
      const d = ntb0(lab, b);
      const mid = sh(lab, b, 'tc -s qdisc show dev ntb0').stdout.split('\n');
      expect(mid.slice(1, 3)).toEqual(statLines(sumCounters(d, 2)));
      expect(mid.slice(4, 6)).toEqual(statLines(queueCounters(d, 1)));
      expect(mid.slice(7, 9)).toEqual(statLines(queueCounters(d, 0)));
      // The EP's data frames wait for ring slots; this seed's RC holds hundreds of ACKs.
      expect(sumCounters(d, 2).qlen).toBeGreaterThan(b === 'ep' ? 0 : 100);
      expect(mid[2]).toMatch(/^ backlog \d+(b|Kb|Mb) [1-9]\d*p requeues 0$/);
    }
    expect(sh(lab, 'ep', 'wait').status).toBe(0);
    const dev = ntb0(lab, 'ep');
    const before = queueCounters(dev, 1);
    expect(sh(lab, 'ep', 'ethtool -L ntb0 combined 1').status).toBe(0);
    const lines = sh(lab, 'ep', 'tc -s qdisc show dev ntb0').stdout.split('\n');
    expect(lines).toEqual(['qdisc mq 0: root ', ...statLines(sumCounters(dev, 2)), `qdisc pfifo_fast 0: parent :1 ${PRIO}`, ...statLines(queueCounters(dev, 0)), '']);
    expect(before.packets).toBeGreaterThan(0);
    expect(lines[1]).toContain(` ${queueCounters(dev, 0).packets + before.packets} pkt `);
  });

  it('noqueue on lo counts nothing (packets go straight to the driver), however much goes through it', () => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'ep', 'ping -c 3 -i 0.2 -q 127.0.0.1').status).toBe(0);
    expect(lab.boards.ep.stack.loopback.stats.txPackets).toBeGreaterThanOrEqual(6);
    expect(sh(lab, 'ep', 'tc -s qdisc show dev lo').stdout).toBe('qdisc noqueue 0: root refcnt 2 \n Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n backlog 0b 0p requeues 0\n');
  });

  it('sprint_size: bytes, or 1024-based Kb and Mb when that close to a multiple, with %g', () => {
    expect([0, 1000, 1023, 1024, 1030, 1040, 2560, 65536, 65551, 1048576, 1049000, 1050000, 1024 * 1000001].map(sprintSize)).toEqual([
      '0b', '1000b', '1023b', '1Kb', '1Kb', '1040b', '2560b', '64Kb', '64Kb', '1Mb', '1Mb', '1050000b', '1e+06Kb',
    ]);
  });
});

describe('tc: other output forms', () => {
  it('-j is json_writer\'s compact array, -p indents it, with the counters under -s', () => {
    const lab = bootLab({ seed: 3 });
    const pfifo = '"options":{"bands":3,"priomap":[1,2,2,2,1,2,0,0,1,1,1,1,1,1,1,1],"multiqueue":false}';
    expect(sh(lab, 'rc', 'tc -j qdisc show').stdout).toBe(
      `[{"kind":"noqueue","handle":"0:","dev":"lo","root":true,"refcnt":2,"options":{}},{"kind":"mq","handle":"0:","dev":"ntb0","root":true,"options":{}},{"kind":"pfifo_fast","handle":"0:","dev":"ntb0","parent":":1",${pfifo}}]\n`,
    );
    const dev = ntb0(lab, 'rc');
    const c = queueCounters(dev, 0);
    const stats = (x: typeof c): string[] => [`        "bytes": ${x.bytes},`, `        "packets": ${x.packets},`, `        "drops": ${x.drops},`, `        "overlimits": ${x.overlimits},`, `        "requeues": ${x.requeues},`, `        "backlog": ${x.backlog},`, `        "qlen": ${x.qlen}`];
    expect(sh(lab, 'rc', 'tc -s -j -p qdisc show dev ntb0').stdout).toBe(
      [
        '[ {',
        '        "kind": "mq",',
        '        "handle": "0:",',
        '        "root": true,',
        '        "options": {},',
        ...stats(sumCounters(dev, dev.numTxQueues)),
        '    },{',
        '        "kind": "pfifo_fast",',
        '        "handle": "0:",',
        '        "parent": ":1",',
        '        "options": {',
        '            "bands": 3,',
        '            "priomap": [ 1,2,2,2,1,2,0,0,1,1,1,1,1,1,1,1 ],',
        '            "multiqueue": false',
        '        },',
        ...stats(c),
        '    } ]',
        '',
      ].join('\n'),
    );
  });

  it('-o ends each line with a backslash instead (no final newline), -r adds the raw handle, -color paints the device name', () => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'rc', 'tc -o -r qdisc show dev lo').stdout).toBe('qdisc noqueue 0:[00000000] root refcnt 2 \\');
    expect(sh(lab, 'rc', 'tc -o -s qdisc show dev lo').stdout).toBe('qdisc noqueue 0: root refcnt 2 \\ Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \\ backlog 0b 0p requeues 0\\');
    expect(sh(lab, 'rc', 'tc -col qdisc show').stdout.split('\n')[0]).toBe('qdisc noqueue 0: dev \x1b[36mlo \x1b[0mroot refcnt 2 ');
    // auto: only on a terminal, not into a pipe; never; and no colour in JSON.
    expect(sh(lab, 'rc', 'tc -color=auto qdisc show').stdout).toContain('\x1b[36m');
    expect(sh(lab, 'rc', 'tc -color=auto qdisc show | cat').stdout).not.toContain('\x1b');
    expect(sh(lab, 'rc', 'tc -color=never qdisc show').stdout).toBe(sh(lab, 'rc', 'tc qdisc show').stdout);
    expect(sh(lab, 'rc', 'tc -color -j qdisc show').stdout).toBe(sh(lab, 'rc', 'tc -j qdisc show').stdout);
  });

  it('the QDISC_ID filters: root, parent CLASSID, handle (0: is every qdisc)', () => {
    const lab = twoQueues(4);
    expect(sh(lab, 'ep', 'tc qdisc show dev ntb0 root').stdout).toBe('qdisc mq 0: root \n');
    expect(sh(lab, 'ep', 'tc qdisc show root').stdout).toBe('qdisc noqueue 0: dev lo root refcnt 2 \nqdisc mq 0: dev ntb0 root \n');
    expect(sh(lab, 'ep', 'tc qdisc show dev ntb0 parent :2').stdout).toBe(`qdisc pfifo_fast 0: parent :2 ${PRIO}\n`);
    expect(sh(lab, 'ep', 'tc qdisc show dev ntb0 p 0:1').stdout).toBe(`qdisc pfifo_fast 0: parent :1 ${PRIO}\n`);
    expect(sh(lab, 'ep', 'tc qdisc show dev ntb0 handle 0:').stdout).toBe(sh(lab, 'ep', 'tc qdisc show dev ntb0').stdout);
    expect(sh(lab, 'ep', 'tc qdisc show dev ntb0 handle 1:').stdout).toBe('');
    expect(sh(lab, 'ep', 'tc qdisc show dev ntb0 ingress').stdout).toBe('');
    expect(sh(lab, 'ep', 'tc qdisc show dev if99')).toEqual({ stdout: '', stderr: '', status: 0 });
  });
});

describe('tc: bad input (status as tc exits: 255 for usage errors, 1 for an unknown device)', () => {
  const NOT_MODELLED = (what: string): string => `tc: the lab has qdiscs and their classes only (tc qdisc, tc class): tc ${what} is not supported\n`;
  // tc's order of matches() makes these link, replace, delete and add: without sudo the kernel refuses each (CAP_NET_ADMIN).
  it.each(['tc qdisc l dev ntb0', 'tc q r dev ntb0 root fq_codel', 'tc qdisc d dev ntb0 root', 'tc qd a dev ntb0 root pfifo_fast'])('%s needs root: RTNETLINK answers EPERM, status 2', (line) => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'ep', line)).toEqual({ stdout: '', stderr: 'RTNETLINK answers: Operation not permitted\n', status: 2 });
  });
  it.each([
    ['tc qdisc show dev ntb0xxxxxxxxxxxxxxxx', 'Cannot find device "ntb0xxxxxxxxxxx"\n', 1],
    ['tc qdisc show dev', 'Command line is not complete. Try option "help"\n', 255],
    ['tc qdisc show bogus', 'What is "bogus"? Try "tc qdisc help".\n', 255],
    ['tc qdisc show root root', 'Error: argument "root" is wrong: parent is already specified\n', 255],
    ['tc qdisc show handle 1: root', 'Error: argument "root" is wrong: handle is already specified\n', 255],
    ['tc qdisc show parent 1:2:3', 'Error: argument "1:2:3" is wrong: invalid parent ID\n', 255],
    ['tc qdisc show handle xyz', 'Error: argument "xyz" is wrong: invalid handle ID\n', 255],
    ['tc qdisc frob', 'Command "frob" is unknown, try "tc qdisc help".\n', 255],
    ['tc frob', 'Object "frob" is unknown, try "tc help".\n', 255],
    ['tc --stats qdisc', 'Option "--stats" is unknown, try "tc -help".\n', 255],
    ['tc -color=blue qdisc', 'Option "-color=blue" is unknown, try "tc -help".\n', 255],
    ['tc -n foo qdisc', 'Cannot open network namespace "foo": No such file or directory\n', 255],
    ['tc -nm -cf /etc/tc_cls qdisc', "Can't open class names file: /etc/tc_cls\n", 255],
    ['tc f show dev ntb0', NOT_MODELLED('filter'), 1],
    ['tc actions ls', NOT_MODELLED('actions'), 1],
    ['tc monitor', NOT_MODELLED('monitor'), 1],
  ])('%s', (line, stderr, status) => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'ep', line)).toEqual({ stdout: '', stderr, status });
  });
});

/** fq_codel_print_opt's line for the defaults on ntb0 (MTU 65510: quantum = psched_mtu 65524). */
const FQ = 'limit 10240p flows 1024 quantum 65524 target 5ms interval 100ms memory_limit 32Mb ecn drop_batch 64 ';
const XSTATS0 = ['  maxpacket 0 drop_overlimit 0 new_flow_count 0 ecn_mark 0', '  new_flows_len 0 old_flows_len 0'];
const EPERM = 'RTNETLINK answers: Operation not permitted\n';
const ok = { stdout: '', stderr: '', status: 0 };
const err = (stderr: string, status = 2): CommandResult => ({ stdout: '', stderr, status });

/** The qdiscs the kernel-answer tables start from: mq 1: at the root ('mq'), with fq_codel 8001: on its class 1:1 ('mqfq'); pfifo_fast 8001: at the root ('pf'); mq ffff: ('ffff'). */
const SETUPS: Readonly<Record<string, readonly string[]>> = {
  '': [],
  mq: ['sudo tc qdisc replace dev ntb0 root handle 1: mq'],
  mqfq: ['sudo tc qdisc replace dev ntb0 root handle 1: mq', 'sudo tc qdisc replace dev ntb0 parent 1:1 fq_codel'],
  pf: ['sudo tc qdisc replace dev ntb0 root pfifo_fast'],
  ffff: ['sudo tc qdisc replace dev ntb0 root handle ffff: mq'],
};

/** A lab (seed 3) after setup `name` of SETUPS, each line of which succeeded, and its shells. */
function setUp(name: string): { lab: Lab; sh: ReturnType<typeof labShell> } {
  const lab = bootLab({ seed: 3 });
  const sh = labShell(lab);
  const lines = SETUPS[name] ?? [];
  expect(lines.map((l) => sh(l))).toEqual(lines.map(() => ok));
  return { lab, sh };
}

describe('tc qdisc show: fq_codel', () => {
  it('a root replaced over the multiqueue ntb0: handle 8001:, refcnt num_tx_queues + 1, the options line, -s with the xstats, -j', () => {
    const lab = bootLab({ seed: 3 });
    const sh = labShell(lab);
    const dev = ntb0(lab, 'ep');
    expect(sh('sudo tc qdisc replace dev ntb0 root fq_codel')).toEqual(ok);
    const refcnt = dev.numTxQueues + 1;
    expect(sh('tc qdisc show')).toEqual({ ...ok, stdout: `qdisc noqueue 0: dev lo root refcnt 2 \nqdisc fq_codel 8001: dev ntb0 root refcnt ${refcnt} ${FQ}\n` });
    expect(sh('tc -s qdisc show dev ntb0').stdout).toBe([`qdisc fq_codel 8001: root refcnt ${refcnt} ${FQ}`, ' Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) ', ' backlog 0b 0p requeues 0', ...XSTATS0, ''].join('\n'));
    const opts = '"options":{"limit":10240,"flows":1024,"quantum":65524,"target":4999,"interval":99999,"memory_limit":33554432,"ecn":true,"drop_batch":64}';
    expect(sh('tc -j qdisc show dev ntb0').stdout).toBe(`[{"kind":"fq_codel","handle":"8001:","root":true,"refcnt":${refcnt},${opts}}]\n`);
    const stats = '"bytes":0,"packets":0,"drops":0,"overlimits":0,"requeues":0,"backlog":0,"qlen":0,"maxpacket":0,"drop_overlimit":0,"new_flow_count":0,"ecn_mark":0,"new_flows_len":0,"old_flows_len":0';
    expect(sh('tc -s -j qdisc show dev ntb0').stdout).toBe(`[{"kind":"fq_codel","handle":"8001:","root":true,"refcnt":${refcnt},${opts},${stats}}]\n`);
    expect(sh('tc -j -p qdisc show dev ntb0').stdout.split('\n').slice(0, 8)).toEqual(['[ {', '        "kind": "fq_codel",', '        "handle": "8001:",', '        "root": true,', `        "refcnt": ${refcnt},`, '        "options": {', '            "limit": 10240,', '            "flows": 1024,']);
    expect(sh('tc -o -r qdisc show dev ntb0').stdout).toBe(`qdisc fq_codel 8001:[80010000] root refcnt ${refcnt} ${FQ}\\`);
    expect(sh('ip link show ntb0').stdout).toContain(' qdisc fq_codel state UP ');
    // Each board has its own handle counter (the kernel's static autohandle).
    expect(sh('sudo tc qdisc replace dev ntb0 root fq_codel', 'rc')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0', 'rc').stdout).toBe(`qdisc fq_codel 8001: root refcnt ${ntb0(lab, 'rc').numTxQueues + 1} ${FQ}\n`);
  });

  it('net.core.default_qdisc=fq_codel: mq\'s children (handle 0, refcnt 1) and a single-queue root (refcnt 2) are fq_codel', () => {
    const lab = bootLab({ seed: 3, sysctl: { 'net.core.default_qdisc': 'fq_codel' } });
    expect(sh(lab, 'ep', 'tc -s qdisc show dev ntb0').stdout).toBe(
      ['qdisc mq 0: root ', ' Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) ', ' backlog 0b 0p requeues 0', `qdisc fq_codel 0: parent :1 ${FQ}`, ' Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) ', ' backlog 0b 0p requeues 0', ...XSTATS0, ''].join('\n'),
    );
    const single = bootLab({ seed: 3, sysctl: { 'net.core.default_qdisc': 'fq_codel' }, params: { transport: {}, netdev: { variant: 'baseline' } } });
    const quantum = ntb0(single, 'ep').mtu + 14;
    expect(sh(single, 'ep', 'tc qdisc show dev ntb0').stdout).toBe(`qdisc fq_codel 0: root refcnt 2 ${FQ.replace('quantum 65524', `quantum ${quantum}`)}\n`);
  });

  it('options as fq_codel_print_opt prints them: %.3g times (5ms, 1e+03ms), sizes, ce_threshold when set, no ecn for noecn', () => {
    const lab = bootLab({ seed: 3 });
    const sh = labShell(lab);
    expect(sh('sudo tc qdisc replace dev ntb0 root fq_codel limit 100 flows 16 quantum 300 target 2.5ms interval 1s ce_threshold 300us memory_limit 4m noecn drop_batch 8')).toEqual(ok);
    const line = 'limit 100p flows 16 quantum 300 target 2.5ms ce_threshold 299us interval 1e+03ms memory_limit 4Mb drop_batch 8 ';
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(`qdisc fq_codel 8001: root refcnt ${ntb0(lab, 'ep').numTxQueues + 1} ${line}\n`);
    expect(sh('tc -j qdisc show dev ntb0').stdout).toContain('"options":{"limit":100,"flows":16,"quantum":300,"target":2499,"ce_threshold":299,"interval":999999,"memory_limit":4194304,"drop_batch":8}');
    // The kernel's clamps: quantum at least 256, memory_limit at most 2^31; units us/usec/ms/s, any case.
    expect(sh('sudo tc qdisc change dev ntb0 root fq_codel quantum 10 memory_limit 3g target 700USEC interval 2S ecn')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0').stdout).toContain(' quantum 256 target 699us ce_threshold 299us interval 2s memory_limit 2048Mb ecn drop_batch 8 \n');
    expect([0, 999, 1000, 4999, 99999, 999999, 1_000_000, 1_500_000, 12_345_678].map(sprintTime)).toEqual(['0us', '999us', '1ms', '5ms', '100ms', '1e+03ms', '1s', '1.5s', '12.3s']);
  });
});

describe('tc qdisc add|replace|change|delete', () => {
  it('replace grafts (auto handles 8001:, 8002: … skipping one in use, or the user\'s), change edits in place, delete brings the defaults back', () => {
    const lab = bootLab({ seed: 3 });
    const sh = labShell(lab);
    const dev = ntb0(lab, 'ep');
    const R = `root refcnt ${dev.numTxQueues + 1}`;
    expect(sh('sudo tc qdisc replace dev ntb0 root handle 8001: pfifo_fast')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(`qdisc pfifo_fast 8001: ${R} ${PRIO}\n`);
    expect(sh('sudo tc qdisc replace dev ntb0 root fq_codel limit 500')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(`qdisc fq_codel 8002: ${R} ${FQ.replace('10240p', '500p')}\n`);
    const q = dev.rootQdisc;
    // Same kind, no handle: replace changes the one there (same qdisc, same handle); so do change and the handle's own address.
    expect(sh('sudo tc qdisc replace dev ntb0 root fq_codel limit 600')).toEqual(ok);
    expect(sh('sudo tc qdisc change dev ntb0 handle 8002: fq_codel target 10ms')).toEqual(ok);
    expect(sh('sudo tc q ch dev ntb0 root fq_codel interval 50ms')).toEqual(ok);
    expect(dev.rootQdisc).toBe(q);
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(`qdisc fq_codel 8002: ${R} ${FQ.replace('10240p', '600p').replace('target 5ms interval 100ms', 'target 10ms interval 50ms')}\n`);
    // A user handle grafts a new one; add over a default qdisc grafts too.
    expect(sh('sudo tc qdisc replace dev ntb0 root handle 1: fq_codel')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(`qdisc fq_codel 1: ${R} ${FQ}\n`);
    expect(sh('sudo tc qdisc del dev ntb0 root fq_codel')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(`qdisc mq 0: root \nqdisc pfifo_fast 0: parent :1 ${PRIO}\n`);
    expect(sh('sudo tc qdisc add dev ntb0 root fq_codel')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(`qdisc fq_codel 8003: ${R} ${FQ}\n`);
    expect(sh('sudo tc qdisc del dev ntb0 root handle 8003:')).toEqual(ok);
    expect(dev.rootQdiscKind).toBe('mq');
  });

  it('after net.core.default_qdisc=fq_codel, deleting a grafted root brings back mq over fq_codel children', () => {
    const lab = bootLab({ seed: 3 });
    const sh = labShell(lab);
    expect(sh('sudo tc qdisc replace dev ntb0 root pfifo_fast')).toEqual(ok);
    expect(sh('sudo sysctl -w net.core.default_qdisc=fq_codel').status).toBe(0);
    expect(sh('sudo tc qdisc del dev ntb0 root')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(`qdisc mq 0: root \nqdisc fq_codel 0: parent :1 ${FQ}\n`);
  });

  it('deleting the root of a down device leaves noop (tc lists nothing, ip link says noop) until it is brought up', () => {
    const lab = bootLab({ seed: 3 });
    const sh = labShell(lab);
    expect(sh('sudo tc qdisc replace dev ntb0 root fq_codel')).toEqual(ok);
    expect(sh('sudo ip link set ntb0 down').status).toBe(0);
    expect(sh('sudo tc qdisc del dev ntb0 root')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0')).toEqual(ok);
    expect(sh('ip link show ntb0').stdout).toContain(' qdisc noop state DOWN ');
    expect(sh('sudo ip link set ntb0 up').status).toBe(0);
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(`qdisc mq 0: root \nqdisc pfifo_fast 0: parent :1 ${PRIO}\n`);
  });

  it('a root replaced on the multiqueue ntb0 carries iperf3: its counters grow, nothing over its limits, and TCP resent every packet CoDel dropped', () => {
    const lab = twoQueues(6);
    const sh = labShell(lab);
    for (const b of ['ep', 'rc'] as const) expect(sh('sudo tc qdisc replace dev ntb0 root fq_codel', b)).toEqual(ok);
    expect(sh('iperf3 -s -D', 'rc').status).toBe(0);
    const run = sh('iperf3 -c 10.0.0.1 -t 1 -P 4');
    expect(run.status).toBe(0);
    for (const b of ['ep', 'rc'] as const) {
      const q = ntb0(lab, b).rootQdisc;
      if (!(q instanceof FqCodel)) throw new Error('no fq_codel root');
      const x = q.xstats();
      const lines = sh('tc -s qdisc show dev ntb0', b).stdout.split('\n');
      expect(lines.slice(1, 3)).toEqual(statLines({ ...q.stats, backlog: q.backlog, qlen: q.qlen }));
      expect(lines[3]).toBe(`  maxpacket ${x.maxpacket} drop_overlimit 0 new_flow_count ${x.newFlowCount} ecn_mark ${x.ecnMark}${x.memoryUsage === 0 ? '' : ` memory_used ${x.memoryUsage}`}`);
      expect(lines[4]).toBe(`  new_flows_len ${x.newFlowsLen} old_flows_len ${x.oldFlowsLen}`);
      expect({ packets: q.stats.packets > 0, newFlows: x.newFlowCount > 0 }).toEqual({ packets: true, newFlows: true });
    }
    const ep = ntb0(lab, 'ep').rootQdisc;
    expect(ep?.stats.bytes).toBeGreaterThan(10_000_000);
    // The EP's data: each segment CoDel dropped at dequeue was retransmitted (the run ended with status 0).
    const retrans = Number(/TcpRetransSegs\s+(\d+)/.exec(sh('nstat -az TcpRetransSegs').stdout)?.[1]);
    expect(ep?.stats.drops).toBeLessThanOrEqual(retrans);
  });

  it.each([
    // [setup, line, result]: the kernel's extack errors (status 2) and tc's own.
    ['', 'tc qdisc replace dev ntb0 root fq_codel', err(EPERM)],
    ['', 'sudo tc qdisc replace root fq_codel', err('RTNETLINK answers: No such device\n')],
    ['', 'sudo tc qdisc replace dev ntb9 root fq_codel', err('Cannot find device "ntb9"\n', 1)],
    // ll_name_to_index takes `ifN` as index N, which tc sends: no device has index 99, the kernel's ENODEV; index 2 is ntb0.
    ['', 'sudo tc qdisc replace dev if99 root fq_codel', err('RTNETLINK answers: No such device\n')],
    ['', 'sudo tc qdisc change dev ntb0 root fq_codel', err('Error: Qdisc not found. To create specify NLM_F_CREATE flag.\n')],
    ['', 'sudo tc qdisc link dev ntb0 root fq_codel', err('Error: Qdisc not found. To create specify NLM_F_CREATE flag.\n')],
    ['', 'sudo tc qdisc add dev ntb0 fq_codel', err('Error: Handle cannot be zero.\n')],
    ['', 'sudo tc qdisc change dev ntb0 handle 8001: fq_codel', err('Error: Specified qdisc not found.\n')],
    ['', 'sudo tc qdisc replace dev ntb0 parent :1 fq_codel', err('Error: Failed to find specified qdisc.\n')],
    ['', 'sudo tc qdisc add dev ntb0 root', err('Error: Specified qdisc kind is unknown.\n')],
    ['', 'sudo tc qdisc add dev ntb0 root fq_codel quantum 1048577', err('Error: Invalid quantum.\n')],
    ['', 'sudo tc qdisc add dev ntb0 root fq_codel flows 65537', err('RTNETLINK answers: Invalid argument\n')],
    ['', 'sudo tc qdisc del dev ntb0 root', err('Error: Cannot delete qdisc with handle of zero.\n')],
    ['', 'sudo tc qdisc del dev ntb0 root mq', err('Error: Cannot delete qdisc with handle of zero.\n')],
    ['', 'sudo tc qdisc del dev ntb0 root fq_codel', err('Error: Invalid qdisc name: must match existing qdisc.\n')],
    ['', 'sudo tc qdisc del dev ntb0 parent :1', err('Error: Failed to find qdisc with specified classid.\n')],
    ['', 'sudo tc qdisc del dev ntb0 handle 1:', err('Error: Failed to find qdisc with specified handle.\n')],
    ['', 'sudo tc qdisc del dev ntb0 ingress', err('Error: Cannot find specified qdisc on specified device.\n')],
    ['fq', 'sudo tc qdisc add dev ntb0 root fq_codel', err('Error: Exclusivity flag on, cannot modify.\n')],
    ['fq', 'sudo tc qdisc add dev ntb0 root handle 2: fq_codel', err('Error: NLM_F_REPLACE needed to override.\n')],
    ['fq', 'sudo tc qdisc change dev ntb0 root fq_codel flows 64', err('RTNETLINK answers: Invalid argument\n')],
    ['fq', 'sudo tc qdisc link dev ntb0 root pfifo_fast', err('Error: Invalid qdisc name: must match existing qdisc.\n')],
    ['fq', 'sudo tc qdisc del dev ntb0 root handle 2:', err('Error: Invalid handle.\n')],
    ['fq', 'sudo tc qdisc del dev ntb0 handle 8001:', err('Error: Classid cannot be zero.\n')],
    ['fq', 'sudo tc qdisc replace dev ntb0 parent 8001:1 fq_codel', err('Error: Specified class not found.\n')],
    ['pf', 'sudo tc qdisc del dev ntb0 parent 8001:1', err('Error: Parent qdisc is not classful.\n')],
    ['', 'sudo tc qdisc add dev ntb0 root fq_codel limit', err('Command line is not complete. Try option "help"\n', 255)],
    ['', 'sudo tc qdisc add dev ntb0 root fq_codel limit 10x', err('Illegal "limit"\n', 1)],
    ['', 'sudo tc qdisc add dev ntb0 root fq_codel limit -1', err('Illegal "limit"\n', 1)],
    ['', 'sudo tc qdisc add dev ntb0 root fq_codel target 5 ms', err('What is "ms"?\n' + 'Usage: ... fq_codel\t[ limit PACKETS ] [ flows NUMBER ]\n[ memory_limit BYTES ]\n[ target TIME ] [ interval TIME ]\n[ quantum BYTES ] [ [no]ecn ]\n[ ce_threshold TIME ]\n[ ce_threshold_selector VALUE/MASK ]\n[ drop_batch SIZE ]\n', 1)],
    ['', 'sudo tc qdisc add dev ntb0 root fq_codel interval 5m', err('Illegal "interval"\n', 1)],
    ['', 'sudo tc qdisc add dev ntb0 root fq_codel memory_limit -1k', err('Illegal "memory_limit"\n', 1)],
    ['', 'sudo tc qdisc add dev ntb0 root fq_codel memory_limit 5G', err('Illegal "memory_limit"\n', 1)],
    ['', 'sudo tc qdisc add dev ntb0 root pfifo_fast limit 5', err("qdisc 'pfifo_fast' does not support option parsing\n", 255)],
    ['', 'sudo tc qdisc add dev ntb0 root foo bar', err('Unknown qdisc "foo", hence option "bar" is unparsable\n', 1)],
    ['', 'sudo tc qdisc add dev ntb0 root foo', err('Error: Specified qdisc kind is unknown.\n')],
    ['', 'sudo tc qdisc add dev ntb0 dev lo root fq_codel', err('Error: duplicate "dev": "lo" is the second value.\n', 255)],
    ['', 'sudo tc qdisc add dev ntb0 handle 1: handle 2: root fq_codel', err('Error: duplicate "handle": "handle" is the second value.\n', 255)],
    ['', 'sudo tc qdisc add dev ntb0 handle 10000 root fq_codel', err('Error: argument "10000" is wrong: invalid qdisc ID\n', 255)],
    ['', 'sudo tc qdisc add dev ntb0 root root fq_codel', err('Error: "root" is duplicate parent ID\n', 255)],
    ['', 'sudo tc qdisc add dev ntb0 root parent :1 fq_codel', err('Error: duplicate "parent": ":1" is the second value.\n', 255)],
    ['', 'sudo tc qdisc add dev ntb0 parent x:y fq_codel', err('Error: argument "x:y" is wrong: invalid parent ID\n', 255)],
  ])('%s | %s', (setup, line, expected) => {
    const lab = bootLab({ seed: 3 });
    const sh = labShell(lab);
    const kind = new Map([['fq', 'fq_codel'], ['pf', 'pfifo_fast']]).get(setup);
    const graft = kind === undefined ? ok : sh(`sudo tc qdisc replace dev ntb0 root ${kind}`);
    expect(graft).toEqual(ok);
    const before = sh('tc -s -j qdisc show').stdout;
    expect(sh(line)).toEqual(expected);
    // A rejected command changes no qdisc; the next handle is the one expected: qdisc_create takes one before fq_codel_init refuses the options.
    expect(sh('tc -s -j qdisc show').stdout).toBe(before);
    expect(sh('sudo tc qdisc replace dev ntb0 root handle 7: pfifo_fast')).toEqual(ok);
    expect(sh('sudo tc qdisc replace dev ntb0 root fq_codel')).toEqual(ok);
    const spent = / (quantum|flows) 6?\d{5,}$/.test(line) ? 1 : 0;
    expect(sh('tc qdisc show dev ntb0').stdout).toMatch(new RegExp(`^qdisc fq_codel ${(0x8001 + (setup === '' ? 0 : 1) + spent).toString(16)}: `));
  });

  it.each([
    ['sudo tc qdisc add dev ntb0 root tbf rate 1mbit burst 10k latency 5ms', 'the tbf qdisc'],
    ['sudo tc qdisc replace dev ntb0 root sfq', 'the sfq qdisc'],
    ['sudo tc qdisc replace dev ntb0 root noqueue', 'creating a noqueue qdisc'],
    ['sudo tc qdisc add dev ntb0 ingress', 'an ingress qdisc'],
    ['sudo tc qdisc add dev ntb0 clsact', 'an clsact qdisc'],
    ['sudo tc qdisc add dev ntb0 root estimator 1s 8s fq_codel', 'tc qdisc estimator (rate estimators, size tables and shared filter blocks)'],
    ['sudo tc qdisc add dev ntb0 root fq_codel ce_threshold 1ms ce_threshold_selector 0x1/0x3', 'fq_codel ce_threshold_selector (the model marks every ECT packet over ce_threshold)'],
    ['sudo tc qdisc add dev lo root fq_codel', 'grafting on lo, a noqueue device (IFF_NO_QUEUE)'],
  ])('%s is refused (the lab does not model %s) and changes nothing', (line, what) => {
    const lab = bootLab({ seed: 3 });
    const sh = labShell(lab);
    const before = sh('tc -s -j qdisc show').stdout;
    expect(sh(line)).toEqual(err(`tc: the lab models the fq_codel, pfifo_fast and mq qdiscs, at a device's root or an mq class: ${what} is not supported\n`));
    expect(sh('tc -s -j qdisc show').stdout).toBe(before);
  });

  it('before ntb0\'s first open (noop root) a graft is refused; `help` prints the usage and parsing goes on', () => {
    const lab = bootLab({ seed: 3 });
    const sh = labShell(lab);
    expect(sh('sudo rmmod ntb_netdev').status).toBe(0);
    expect(sh('sudo modprobe ntb_netdev').status).toBe(0);
    expect(sh('sudo tc qdisc replace dev ntb0 root fq_codel')).toEqual(err("tc: the lab models the fq_codel, pfifo_fast and mq qdiscs, at a device's root or an mq class: grafting on ntb0 before its first open (its root is still the builtin noop; bring it up first) is not supported\n"));
    const usage = sh('tc qdisc help').stderr;
    expect(sh('sudo tc qdisc del dev ntb0 help root')).toEqual(err(`${usage}Error: Cannot delete qdisc with handle of zero.\n`));
  });
});

describe('tc qdisc: an mq root with a handle and its classes', () => {
  /** fq_codel_print_opt's line with `limit` packets. */
  const fq = (limit: number): string => FQ.replace('10240p', `${limit}p`);

  it('the recipe: default_qdisc=fq_codel, replace root handle 1: mq, replace/change parent 1:1, show -s, delete root', () => {
    const lab = twoQueues(4);
    const sh = labShell(lab);
    const dev = ntb0(lab, 'ep');
    expect(sh('sudo sysctl -w net.core.default_qdisc=fq_codel').status).toBe(0);
    expect(sh('sudo tc qdisc replace dev ntb0 root handle 1: mq')).toEqual(ok);
    // mq_init's children are qdisc_create_dflt's (handle 0, parent 1:N); mq_attach hashed the real queues', newest first.
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(`qdisc mq 1: root \nqdisc fq_codel 0: parent 1:2 ${FQ}\nqdisc fq_codel 0: parent 1:1 ${FQ}\n`);
    expect([dev.rootQdiscKind, dev.rootQdiscHandle, dev.txQueue(dev.numTxQueues - 1).qdisc.kind]).toEqual(['mq', 0x10000, 'fq_codel']);
    expect(sh('ip link show ntb0').stdout).toContain(' qdisc mq state UP ');
    // The same again changes nothing (same kind, same handle: qdisc_change with no options).
    expect(sh('sudo tc qdisc replace dev ntb0 root handle 1: mq')).toEqual(ok);
    expect(sh('sudo tc qdisc replace dev ntb0 root mq')).toEqual(ok);
    expect(dev.rootQdiscHandle).toBe(0x10000);
    // A qdisc of its own on TX queue 0: handle 8001:, which hash_32 puts in bucket 0 with the defaults, newest first.
    expect(sh('sudo tc qdisc replace dev ntb0 parent 1:1 fq_codel limit 100')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(`qdisc mq 1: root \nqdisc fq_codel 8001: parent 1:1 ${fq(100)}\nqdisc fq_codel 0: parent 1:2 ${FQ}\n`);
    const q = dev.txQueue(0).qdisc;
    expect([q.handle, q instanceof FqCodel && q.params.limit]).toEqual([0x80010000, 100]);
    // change edits it in place, by its class or its handle; replace of the same kind without a handle does too.
    expect(sh('sudo tc qdisc change dev ntb0 parent 1:1 fq_codel limit 200')).toEqual(ok);
    expect(sh('sudo tc qdisc change dev ntb0 handle 8001: fq_codel target 10ms')).toEqual(ok);
    expect(sh('sudo tc qdisc replace dev ntb0 parent 1:1 fq_codel interval 50ms')).toEqual(ok);
    expect(dev.txQueue(0).qdisc).toBe(q);
    const changed = fq(200).replace('target 5ms interval 100ms', 'target 10ms interval 50ms');
    expect(sh('tc qdisc show dev ntb0 parent 1:1').stdout).toBe(`qdisc fq_codel 8001: parent 1:1 ${changed}\n`);
    expect(sh('tc qdisc show dev ntb0 handle 1:').stdout).toBe('qdisc mq 1: root \n');
    expect(sh('tc -s qdisc show dev ntb0').stdout).toBe(
      [
        'qdisc mq 1: root ',
        ...statLines(sumCounters(dev, dev.numTxQueues)),
        `qdisc fq_codel 8001: parent 1:1 ${changed}`,
        ...statLines(queueCounters(dev, 0)),
        ...XSTATS0,
        `qdisc fq_codel 0: parent 1:2 ${FQ}`,
        ...statLines(queueCounters(dev, 1)),
        ...XSTATS0,
        '',
      ].join('\n'),
    );
    expect(sh('tc -j qdisc show dev ntb0').stdout).toMatch(/^\[\{"kind":"mq","handle":"1:","root":true,"options":\{\}\},\{"kind":"fq_codel","handle":"8001:","parent":"1:1","options":\{"limit":200,/);
    // Deleting the root brings the defaults back (mq 0: over the current default qdisc).
    expect(sh('sudo tc qdisc del dev ntb0 root')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(`qdisc mq 0: root \nqdisc fq_codel 0: parent :2 ${FQ}\nqdisc fq_codel 0: parent :1 ${FQ}\n`);
  });

  it('children in qdisc_hash order (hash_32 of the handle, newest first in a bucket), on a queue beyond the real ones too; ethtool -L moves only the defaults', () => {
    const lab = twoQueues(4);
    const sh = labShell(lab);
    const dev = ntb0(lab, 'ep');
    expect(sh('sudo tc qdisc replace dev ntb0 root handle 1: mq')).toEqual(ok);
    // 8002: is in bucket 8 and 3: in bucket 9, after the defaults' bucket 0; a child on TX queue 5 (not real) is hashed all the same.
    expect(sh('sudo tc qdisc add dev ntb0 parent 1:6 handle 3: fq_codel limit 300')).toEqual(ok);
    expect(sh('sudo tc qdisc replace dev ntb0 parent 1:1 handle 8002: fq_codel limit 100')).toEqual(ok);
    const grafted = [`qdisc fq_codel 8002: parent 1:1 ${fq(100)}`, `qdisc fq_codel 3: parent 1:6 ${fq(300)}`];
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(['qdisc mq 1: root ', `qdisc pfifo_fast 0: parent 1:2 ${PRIO}`, ...grafted, ''].join('\n'));
    expect([dev.realNumTxQueues, dev.txQueue(5).qdisc.handle]).toEqual([2, 0x30000]);
    // mq_change_real_num_tx: the default child of TX queue 1 leaves the hash and comes back; the grafted ones stay.
    expect(sh('ethtool -L ntb0 combined 1').status).toBe(0);
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(['qdisc mq 1: root ', ...grafted, ''].join('\n'));
    expect(sh('ethtool -L ntb0 combined 2').status).toBe(0);
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(['qdisc mq 1: root ', `qdisc pfifo_fast 0: parent 1:2 ${PRIO}`, ...grafted, ''].join('\n'));
    // 8001: hashes to bucket 0, where it is the newest.
    expect(sh('sudo tc qdisc add dev ntb0 parent 1:3 handle 8001: pfifo_fast')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0').stdout.split('\n').slice(1, 3)).toEqual([`qdisc pfifo_fast 8001: parent 1:3 ${PRIO}`, `qdisc pfifo_fast 0: parent 1:2 ${PRIO}`]);
  });

  it('delete parent 1:N leaves the builtin noop on that queue: tc no longer lists it and what is sent there is dropped (tx_dropped) until a qdisc is grafted again', () => {
    const lab = bootLab({ seed: 3 });
    const sh = labShell(lab);
    const dev = ntb0(lab, 'ep');
    expect(dev.realNumTxQueues).toBe(1);
    expect(sh('sudo tc qdisc replace dev ntb0 root handle 1: mq')).toEqual(ok);
    expect(sh('sudo tc qdisc del dev ntb0 parent 1:1')).toEqual(err('Error: Cannot delete qdisc with handle of zero.\n'));
    expect(sh('sudo tc qdisc replace dev ntb0 parent 1:1 handle 10: pfifo_fast')).toEqual(ok);
    expect(sh('sudo tc qdisc del dev ntb0 parent 1:1 fq_codel')).toEqual(err('Error: Invalid qdisc name: must match existing qdisc.\n'));
    expect(sh('sudo tc qdisc del dev ntb0 parent 1:1 handle 11:')).toEqual(err('Error: Invalid handle.\n'));
    expect(sh('sudo tc qdisc del dev ntb0 parent 1:1 handle 10: pfifo_fast')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0').stdout).toBe('qdisc mq 1: root \n');
    expect([dev.txQueue(0).qdisc.kind, sh('ip link show ntb0').stdout.includes(' qdisc mq state UP ')]).toEqual(['noop', true]);
    // ntb0's one real queue drops everything now: the pings and the ARP requests before them.
    const dropped = dev.stats.txDropped;
    expect(sh('ping -c 2 -W 1 10.0.0.1').stdout).toContain('2 packets transmitted, 0 received, 100% packet loss');
    expect(dev.stats.txDropped).toBeGreaterThanOrEqual(dropped + 2);
    expect(sh('ip -s link show ntb0').stdout.split('\n')[5]).toMatch(new RegExp(`^ +0 +0 +0 +${dev.stats.txDropped} `));
    expect(sh('sudo tc qdisc del dev ntb0 parent 1:1')).toEqual(err('Error: Cannot delete qdisc with handle of zero.\n'));
    expect(sh('sudo tc qdisc change dev ntb0 parent 1:1 fq_codel')).toEqual(err('Error: Qdisc not found. To create specify NLM_F_CREATE flag.\n'));
    expect(sh('sudo tc qdisc add dev ntb0 parent 1:1 fq_codel')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0').stdout).toBe(`qdisc mq 1: root \nqdisc fq_codel 8001: parent 1:1 ${FQ}\n`);
  });

  it('iperf3 through a per-queue fq_codel on both boards still delivers: the children\'s counters grow and mq sums them', () => {
    const lab = twoQueues(6);
    const sh = labShell(lab);
    for (const b of ['ep', 'rc'] as const) {
      expect(sh('sudo tc qdisc replace dev ntb0 root handle 1: mq', b)).toEqual(ok);
      expect(sh('sudo tc qdisc replace dev ntb0 parent 1:1 fq_codel limit 1000', b)).toEqual(ok);
      expect(sh('sudo tc qdisc replace dev ntb0 parent 1:2 fq_codel', b)).toEqual(ok);
    }
    expect(sh('iperf3 -s -D', 'rc').status).toBe(0);
    expect(sh('iperf3 -c 10.0.0.1 -t 1 -P 4').status).toBe(0);
    for (const b of ['ep', 'rc'] as const) {
      const dev = ntb0(lab, b);
      const lines = sh('tc -s qdisc show dev ntb0', b).stdout.split('\n');
      expect(lines.slice(0, 3)).toEqual(['qdisc mq 1: root ', ...statLines(sumCounters(dev, dev.numTxQueues))]);
      for (const q of [0, 1]) {
        const child = dev.txQueue(q).qdisc;
        if (!(child instanceof FqCodel)) throw new Error(`${b}: no fq_codel on TX queue ${q}`);
        const at = lines.findIndex((l) => l.startsWith(`qdisc fq_codel ${(child.handle >>> 16).toString(16)}: parent 1:${q + 1} `));
        expect(lines.slice(at + 1, at + 3)).toEqual(statLines(queueCounters(dev, q)));
        expect(child.stats.packets).toBeGreaterThan(0);
        expect(child.xstats().newFlowCount).toBeGreaterThan(0);
      }
    }
    expect(queueCounters(ntb0(lab, 'ep'), 0).bytes + queueCounters(ntb0(lab, 'ep'), 1).bytes).toBeGreaterThan(10_000_000);
  });

  it.each([
    // [setup (SETUPS), line, result]: the kernel's answers.
    ['', 'sudo tc qdisc replace dev ntb0 parent 1:1 fq_codel', err('Error: Failed to find specified qdisc.\n')],
    ['', 'sudo tc qdisc replace dev ntb0 root handle 1: mq foo', err('Unknown qdisc "mq", hence option "foo" is unparsable\n', 1)],
    ['mq', 'sudo tc qdisc replace dev ntb0 parent 1:0 fq_codel', err('Error: Specified class not found.\n')],
    ['mq', 'sudo tc qdisc replace dev ntb0 parent 1:41 fq_codel', err('Error: Specified class not found.\n')],
    ['mq', 'sudo tc qdisc add dev ntb0 parent 1:1 mq', err('RTNETLINK answers: Operation not supported\n')],
    ['mq', 'sudo tc qdisc change dev ntb0 parent 1:1 fq_codel limit 5', err('Error: Qdisc not found. To create specify NLM_F_CREATE flag.\n')],
    ['mq', 'sudo tc qdisc del dev ntb0 parent 1:1', err('Error: Cannot delete qdisc with handle of zero.\n')],
    ['mq', 'sudo tc qdisc del dev ntb0 parent 1:41', err('Error: Specified class not found.\n')],
    ['mq', 'sudo tc qdisc add dev ntb0 root handle 1: mq', err('Error: Exclusivity flag on, cannot modify.\n')],
    ['mq', 'sudo tc qdisc add dev ntb0 root handle 2: mq', err('Error: NLM_F_REPLACE needed to override.\n')],
    ['mq', 'sudo tc qdisc replace dev ntb0 root handle 1: fq_codel', err('Error: Invalid qdisc name: must match existing qdisc.\n')],
    ['mq', 'sudo tc qdisc replace dev ntb0 parent 1:1 handle 1: fq_codel', err('Error: Cannot move an existing qdisc to a different parent.\n')],
    ['mq', 'sudo tc qdisc replace dev ntb0 parent 1:1 fq_codel quantum 1048577', err('Error: Invalid quantum.\n')],
    ['mqfq', 'sudo tc qdisc add dev ntb0 parent 1:1 fq_codel', err('Error: Exclusivity flag on, cannot modify.\n')],
    ['mqfq', 'sudo tc qdisc change dev ntb0 parent 1:1 fq_codel flows 64', err('RTNETLINK answers: Invalid argument\n')],
    ['mqfq', 'sudo tc qdisc link dev ntb0 parent 1:1 pfifo_fast', err('Error: Invalid qdisc name: must match existing qdisc.\n')],
    ['mqfq', 'sudo tc qdisc replace dev ntb0 parent 1:2 handle 8001: fq_codel', err('Error: Cannot move an existing qdisc to a different parent.\n')],
    ['mqfq', 'sudo tc qdisc replace dev ntb0 root handle 8001: fq_codel', err('Error: Cannot move an existing qdisc to a different parent.\n')],
    ['mqfq', 'sudo tc qdisc replace dev ntb0 parent 8001:1 fq_codel', err('Error: Specified class not found.\n')],
    ['mqfq', 'sudo tc qdisc del dev ntb0 parent 1:1 handle 8002:', err('Error: Invalid handle.\n')],
  ])('%s | %s', (setup, line, expected) => {
    const { sh } = setUp(setup);
    const before = sh('tc -s -j qdisc show').stdout;
    expect(sh(line)).toEqual(expected);
    expect(sh('tc -s -j qdisc show').stdout).toBe(before);
  });

  it('a single-queue ntb0 refuses mq (mq_init: EOPNOTSUPP, no extack), yet the handle it was given is used up; lo\'s noqueue is refused as before', () => {
    const lab = bootLab({ seed: 3, params: { transport: {}, netdev: { variant: 'baseline' } } });
    const sh = labShell(lab);
    const before = sh('tc -s -j qdisc show').stdout;
    expect(sh('sudo tc qdisc replace dev ntb0 root mq')).toEqual(err('RTNETLINK answers: Operation not supported\n'));
    expect(sh('tc -s -j qdisc show').stdout).toBe(before);
    expect(sh('sudo tc qdisc replace dev ntb0 root fq_codel')).toEqual(ok);
    expect(sh('tc qdisc show dev ntb0').stdout).toMatch(/^qdisc fq_codel 8002: root refcnt 2 /);
    expect(sh('sudo tc qdisc replace dev lo root handle 1: mq')).toEqual(err("tc: the lab models the fq_codel, pfifo_fast and mq qdiscs, at a device's root or an mq class: grafting on lo, a noqueue device (IFF_NO_QUEUE) is not supported\n"));
  });
});

/** print_class's line of mq class `n` (1-based) under mq `handle`, with `leaf H: ` when its TX queue's qdisc has a handle. */
function mqClass(dev: NetDevice, handle: number, n: number): string {
  const leaf = dev.txQueue(n - 1).qdisc.handle;
  const id = handle === 0 ? `:${n.toString(16)}` : `${(handle >>> 16).toString(16)}:${n.toString(16)}`;
  return `class mq ${id} root ${leaf === 0 ? '' : `leaf ${(leaf >>> 16).toString(16)}: `}`;
}

/** `tc [-s] class show dev ntb0` of an mq root with `handle` and no fq_codel flows: every TX queue's class, with -s its qdisc's counters. */
function mqClasses(dev: NetDevice, handle: number, stats: boolean): string {
  const lines = Array.from({ length: dev.numTxQueues }, (_, q) => [mqClass(dev, handle, q + 1), ...(stats ? statLines(queueCounters(dev, q)) : [])]);
  return [...lines.flat(), ''].join('\n');
}

/** `tc -s class show`'s lines of fq_codel flow `f` under a qdisc with `handle` (q_fq_codel.c's class xstats). */
function flowLines(f: FqCodelFlowStats, handle: number): string[] {
  const id = handle === 0 ? `:${(f.index + 1).toString(16)}` : `${(handle >>> 16).toString(16)}:${(f.index + 1).toString(16)}`;
  const drop = f.dropping ? ` dropping drop_next ${f.dropNextUs < 0 ? `-${sprintTime(-f.dropNextUs)}` : sprintTime(f.dropNextUs)}` : '';
  return [
    `class fq_codel ${id} parent ${handle === 0 ? 'none' : `${(handle >>> 16).toString(16)}:`} `,
    ' (dropped 0, overlimits 0 requeues 0) ',
    ` backlog ${sprintSize(f.backlog)} ${f.qlen}p requeues 0`,
    `  deficit ${f.deficit} count ${f.count} lastcount ${f.lastcount} ldelay ${sprintTime(f.ldelayUs)}${drop}`,
  ];
}

/** The fq_codel on TX queue `q` of `dev`. */
function fqCodelOn(dev: NetDevice, q: number): FqCodel {
  const qd = dev.txQueue(q).qdisc;
  if (!(qd instanceof FqCodel)) throw new Error(`TX queue ${q}: ${qd.kind}, not fq_codel`);
  return qd;
}

describe('tc class show: mq', () => {
  it('the default mq: a class per TX queue, all num_tx_queues of them, `:N root` (no handle, no leaf); -s its queue\'s counters; on both boards after traffic', () => {
    const lab = twoQueues(6);
    expect(sh(lab, 'rc', 'iperf3 -s -D').status).toBe(0);
    expect(sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1 -P 4').status).toBe(0);
    for (const b of ['ep', 'rc'] as const) {
      const dev = ntb0(lab, b);
      expect(dev.numTxQueues).toBe(64);
      const out = sh(lab, b, 'tc class show dev ntb0');
      expect(out).toEqual({ ...ok, stdout: mqClasses(dev, 0, false) });
      expect(out.stdout.split('\n').slice(0, 2).concat(out.stdout.split('\n').slice(-3))).toEqual(['class mq :1 root ', 'class mq :2 root ', 'class mq :3f root ', 'class mq :40 root ', '']);
      const s = sh(lab, b, 'tc -s class show dev ntb0').stdout;
      expect(s).toBe(mqClasses(dev, 0, true));
      // The two real queues carried traffic; what the class shows is its qdisc's (pfifo_fast's) own.
      expect(s.split('\n').slice(0, 6)).toEqual(['class mq :1 root ', ...statLines(queueCounters(dev, 0)), 'class mq :2 root ', ...statLines(queueCounters(dev, 1))]);
      expect([queueCounters(dev, 0).packets > 0, queueCounters(dev, 1).packets > 0]).toEqual([true, true]);
      // tcm_parent :N has major 0, the default mq's handle: all of mq's classes, whatever the minor.
      expect(sh(lab, b, 'tc -s class show dev ntb0 parent :7').stdout).toBe(s);
    }
  });

  it('what has no classes lists nothing, status 0: root as a filter (major ffff:), no dev, lo\'s noqueue, the baseline ntb0\'s pfifo_fast, a never-opened ntb0', () => {
    const lab = bootLab({ seed: 3 });
    const sh = labShell(lab);
    for (const line of ['tc class show dev ntb0 root', 'tc class show', 'tc -s class', 'tc class show dev lo', 'tc class show dev if99']) expect({ line, r: sh(line) }).toEqual({ line, r: ok });
    const single = bootLab({ seed: 3, params: { transport: {}, netdev: { variant: 'baseline' } } });
    const sh1 = labShell(single);
    expect(sh1('iperf3 -s -D', 'rc').status).toBe(0);
    expect(sh1('iperf3 -c 10.0.0.1 -t 1').status).toBe(0);
    for (const b of ['ep', 'rc'] as const) {
      expect(sh1('tc qdisc show dev ntb0', b).stdout).toBe(`qdisc pfifo_fast 0: root refcnt 2 ${PRIO}\n`);
      for (const line of ['tc class show dev ntb0', 'tc -s class show dev ntb0', 'tc -g -s class show dev ntb0']) expect({ line, r: sh1(line, b) }).toEqual({ line, r: ok });
    }
    expect(sh('sudo rmmod ntb_netdev').status).toBe(0);
    expect(sh('sudo modprobe ntb_netdev').status).toBe(0);
    expect(sh('tc class show dev ntb0')).toEqual(ok);
  });

  it('an mq with handle 1: shows 1:N and the leaf handle of a grafted child (not of the defaults, nor of the noop a delete leaves); the filters', () => {
    const lab = twoQueues(4);
    const sh = labShell(lab);
    const dev = ntb0(lab, 'ep');
    expect(sh('sudo tc qdisc replace dev ntb0 root handle 1: mq')).toEqual(ok);
    expect(sh('sudo tc qdisc replace dev ntb0 parent 1:2 handle 8001: pfifo_fast')).toEqual(ok);
    expect(sh('sudo tc qdisc add dev ntb0 parent 1:3f handle 3: fq_codel')).toEqual(ok);
    const all = sh('tc class show dev ntb0').stdout;
    expect(all).toBe(mqClasses(dev, 0x10000, false));
    expect(all.split('\n').slice(0, 3)).toEqual(['class mq 1:1 root ', 'class mq 1:2 root leaf 8001: ', 'class mq 1:3 root ']);
    expect(all.split('\n')[62]).toBe('class mq 1:3f root leaf 3: ');
    // parent 1: walks mq; parent 8001: the pfifo_fast (no classes); 3: the fq_codel, idle.
    expect(sh('tc class show dev ntb0 parent 1:').stdout).toBe(all);
    expect(sh('tc class show dev ntb0 parent 1:5').stdout).toBe(all);
    for (const p of ['8001:', '3:1', '2:', 'root']) expect(sh(`tc class show dev ntb0 parent ${p}`)).toEqual(ok);
    // classid and qdisc are tc's filters; with qdisc the ids print as their minors.
    expect(sh('tc class show dev ntb0 classid 1:2').stdout).toBe('class mq 1:2 root leaf 8001: \n');
    expect(sh('tc -s class show dev ntb0 classid 1:2').stdout).toBe(['class mq 1:2 root leaf 8001: ', ...statLines(queueCounters(dev, 1)), ''].join('\n'));
    expect(sh('tc class show dev ntb0 qdisc 1: classid 1:3f').stdout).toBe('class mq :3f root leaf 3: \n');
    expect(sh('tc class show dev ntb0 qdisc 1:').stdout.split('\n', 2)).toEqual(['class mq :1 root ', 'class mq :2 root leaf 8001: ']);
    expect(sh('tc class show dev ntb0 qdisc 2:')).toEqual(ok);
    expect(sh('tc class show dev ntb0 classid 1:41')).toEqual(ok);
    expect(sh('sudo tc qdisc del dev ntb0 parent 1:2')).toEqual(ok);
    expect(sh('tc class show dev ntb0 classid 1:2').stdout).toBe('class mq 1:2 root \n');
  });
});

describe('tc class show: the kernel\'s parent filter and tc\'s words', () => {
  it('`root` is TC_H_ROOT, major ffff:, which only a qdisc with that handle matches; tc c s, list and lst are show', () => {
    const { lab, sh } = setUp('ffff');
    const dev = ntb0(lab, 'ep');
    expect(dev.rootQdiscHandle).toBe(0xffff0000);
    const all = sh('tc class show dev ntb0').stdout;
    expect(all.split('\n', 2)).toEqual(['class mq ffff:1 root ', 'class mq ffff:2 root ']);
    for (const line of ['tc class show dev ntb0 root', 'tc c s dev ntb0', 'tc class list dev ntb0', 'tc class lst dev ntb0', 'tc cl l dev ntb0 parent ffff:']) expect({ line, out: sh(line).stdout }).toEqual({ line, out: all });
    expect(sh('tc class sh dev ntb0 classid ffff:3 qdisc ffff:').stdout).toBe('class mq :3 root \n');
  });
});

describe('tc class show: fq_codel\'s flows', () => {
  it('default_qdisc=fq_codel under iperf3 -P 4: the sender\'s (EP\'s) fq_codel child lists its active flows (:N parent none: it has no handle) with their backlog and CoDel state', () => {
    const lab = bootLab({ seed: 7, sysctl: { 'net.core.default_qdisc': 'fq_codel', 'net.core.wmem_max': 1 << 30, 'net.core.rmem_max': 1 << 30 } });
    const sh = labShell(lab);
    expect(sh('iperf3 -s -D', 'rc').status).toBe(0);
    expect(sh('iperf3 -c 10.0.0.1 -t 3 -P 4 -w 512M &').status).toBe(0);
    expect(sh('sleep 2').status).toBe(0);
    const dev = ntb0(lab, 'ep');
    const fq = fqCodelOn(dev, 0);
    const flows = fq.flowStats();
    // The data of the four streams stands in four flows, each with full-size frames queued
    // (the RC's child, which holds the ACKs, drains between them: at 2 s it lists no flow).
    expect(flows.map((f) => f.qlen > 0)).toEqual([true, true, true, true]);
    expect([flows.reduce((n, f) => n + f.qlen, 0), flows.reduce((n, f) => n + f.backlog, 0)]).toEqual([fq.qlen, fq.backlog]);
    const out = sh('tc -s class show dev ntb0').stdout;
    expect(out).toBe(mqClasses(dev, 0, true) + [...flows.flatMap((f) => flowLines(f, 0)), ''].join('\n'));
    // Bucket order, classid bucket + 1.
    expect(out.split('\n').slice(192)).toEqual([
      'class fq_codel :139 parent none ',
      ' (dropped 0, overlimits 0 requeues 0) ',
      ' backlog 196572b 3p requeues 0',
      '  deficit 65524 count 1 lastcount 1 ldelay 7.81ms',
      ...flows.slice(1).flatMap((f) => flowLines(f, 0)),
      '',
    ]);
    // Without -s, the class lines alone; `parent :1` (major 0) finds the root mq, qdisc_match_from_root too: no fq_codel walk.
    expect(sh('tc class show dev ntb0').stdout).toBe(mqClasses(dev, 0, false) + flows.map((f) => `class fq_codel :${(f.index + 1).toString(16)} parent none \n`).join(''));
    expect(sh('tc class show dev ntb0 parent :1').stdout).toBe(mqClasses(dev, 0, false));
    expect(sh('wait').status).toBe(0);
  });

  it('an fq_codel root with a handle while CoDel drops: H:N parent H:, an emptied flow still listed, drop_next ahead or overdue; -o; the qdisc filter', () => {
    const lab = bootLab({ seed: 14, sysctl: { 'net.core.wmem_max': 1 << 30, 'net.core.rmem_max': 1 << 30 } });
    const sh = labShell(lab);
    expect(sh('sudo tc qdisc replace dev ntb0 root fq_codel target 500us interval 5ms noecn')).toEqual(ok);
    expect(sh('iperf3 -s -D', 'rc').status).toBe(0);
    expect(sh('iperf3 -c 10.0.0.1 -t 2 -P 4 -w 512M &').status).toBe(0);
    expect(sh('sleep 0.104').status).toBe(0);
    // At 104 ms (seed 14) CoDel is dropping in all four flows; two of them are emptied but
    // still listed, :79 with its next drop overdue and :2c3 with it ahead.
    const text = [
      'class fq_codel 8001:79 parent 8001: ',
      ' (dropped 0, overlimits 0 requeues 0) ',
      ' backlog 0b 0p requeues 0',
      '  deficit 0 count 6 lastcount 2 ldelay 3.88ms dropping drop_next -658us',
      'class fq_codel 8001:297 parent 8001: ',
      ' (dropped 0, overlimits 0 requeues 0) ',
      ' backlog 131048b 2p requeues 0',
      '  deficit 65524 count 3 lastcount 3 ldelay 3.82ms dropping drop_next 1.33ms',
      'class fq_codel 8001:2c3 parent 8001: ',
      ' (dropped 0, overlimits 0 requeues 0) ',
      ' backlog 0b 0p requeues 0',
      '  deficit 65524 count 1 lastcount 1 ldelay 3.86ms dropping drop_next 3.67ms',
      'class fq_codel 8001:2c5 parent 8001: ',
      ' (dropped 0, overlimits 0 requeues 0) ',
      ' backlog 64Kb 1p requeues 0',
      '  deficit 65524 count 1 lastcount 1 ldelay 3.83ms dropping drop_next 3.61ms',
      '',
    ];
    expect(sh('tc -s class show dev ntb0')).toEqual({ ...ok, stdout: text.join('\n') });
    const fq = ntb0(lab, 'ep').rootQdisc;
    if (!(fq instanceof FqCodel)) throw new Error('no fq_codel root');
    expect(sh('tc -s class show dev ntb0').stdout).toBe([...fq.flowStats().flatMap((f) => flowLines(f, 0x80010000)), ''].join('\n'));
    // The qdisc's backlog is the flows' and the requeued head's.
    expect(fq.backlog - fq.flowStats().reduce((n, f) => n + f.backlog, 0)).toBe(65524);
    // -o: only print_tcstats2_attr's print_nl becomes a backslash; print_class ends its lines with \n.
    expect(sh('tc -o -s class show dev ntb0').stdout.split('\n', 3)).toEqual(['class fq_codel 8001:79 parent 8001: ', ' (dropped 0, overlimits 0 requeues 0) \\ backlog 0b 0p requeues 0', text[3]]);
    expect(sh('tc class show dev ntb0 qdisc 8001:').stdout).toBe('class fq_codel :79 parent none \nclass fq_codel :297 parent none \nclass fq_codel :2c3 parent none \nclass fq_codel :2c5 parent none \n');
    expect(sh('tc class show dev ntb0 parent 8001: classid 8001:2c3').stdout).toBe('class fq_codel 8001:2c3 parent 8001: \n');
    // The root's classes hang off 8001:, not off the root: the graph draws none.
    expect(sh('tc -g -s class show dev ntb0')).toEqual(ok);
    expect(sh('wait').status).toBe(0);
  });

  it('a per-queue fq_codel grafted under mq 1: is walked after mq\'s classes (qdisc_hash order), by its own handle', () => {
    const lab = bootLab({ seed: 3, sysctl: { 'net.core.wmem_max': 1 << 30, 'net.core.rmem_max': 1 << 30 } });
    const sh = labShell(lab);
    expect(sh('sudo tc qdisc replace dev ntb0 root handle 1: mq')).toEqual(ok);
    expect(sh('sudo tc qdisc replace dev ntb0 parent 1:1 handle 10: fq_codel target 500us interval 5ms noecn')).toEqual(ok);
    expect(sh('iperf3 -s -D', 'rc').status).toBe(0);
    expect(sh('iperf3 -c 10.0.0.1 -t 2 -P 4 -w 512M &').status).toBe(0);
    expect(sh('sleep 0.075').status).toBe(0);
    const dev = ntb0(lab, 'ep');
    const flows = fqCodelOn(dev, 0).flowStats();
    expect(flows.length).toBeGreaterThan(0);
    const lines = flows.flatMap((f) => flowLines(f, 0x100000));
    expect(sh('tc -s class show dev ntb0').stdout).toBe(mqClasses(dev, 0x10000, true) + [...lines, ''].join('\n'));
    expect(sh('tc -s class show dev ntb0 parent 10:').stdout).toBe([...lines, ''].join('\n'));
    expect(sh('tc class show dev ntb0 parent 1:').stdout).toBe(mqClasses(dev, 0x10000, false));
    expect(sh('tc class show dev ntb0').stdout.split('\n', 2)).toEqual(['class mq 1:1 root leaf 10: ', 'class mq 1:2 root ']);
    expect(sh('wait').status).toBe(0);
  });
});

describe('tc class show: output forms of tc 6.1', () => {
  it('-g draws graph_cls_show\'s tree of the root\'s classes, last first, ignoring tc\'s filters; with -s the counters under each', () => {
    const lab = twoQueues(4);
    const sh = labShell(lab);
    const dev = ntb0(lab, 'ep');
    const ids = Array.from({ length: dev.numTxQueues }, (_, i) => `:${(dev.numTxQueues - i).toString(16)}`);
    const tree = `${ids.map((id) => `+---(${id}) mq `).join('\n')}\n\n`;
    expect(sh('tc -g class show dev ntb0')).toEqual({ ...ok, stdout: tree });
    expect(sh('tc -g class show dev ntb0 classid :3 qdisc 5:').stdout).toBe(tree);
    expect(sh('tc -g class show dev ntb0 root')).toEqual(ok);
    expect(sh('ping -c 1 10.0.0.1').status).toBe(0);
    // strlen("mq") − 2 + strlen(id) spaces after the 6 of the tree's column.
    const node = (id: string, q: number, last: boolean): string => {
      const pre = `${last ? '      ' : '|     '}${' '.repeat(id.length)}`;
      const [sent, backlog] = statLines(queueCounters(dev, q)).map((l) => l.slice(1));
      return `+---(${id}) mq \n${pre}${sent}\n${pre}${backlog}${last ? '\n\n' : '\n|     \n'}`;
    };
    const s = sh('tc -g -s class show dev ntb0').stdout;
    expect(s).toBe(ids.map((id, i) => node(id, dev.numTxQueues - 1 - i, i === ids.length - 1)).join(''));
    expect(s.split('\n').slice(-6)).toEqual(['|     ', '+---(:1) mq ', `        ${statLines(queueCounters(dev, 0))[0]?.slice(1) ?? ''}`, `        backlog 0b 0p requeues 0`, '', '']);
    expect(queueCounters(dev, 0).packets).toBeGreaterThan(0);
  });

  it('-j and -p print the same text (tc_class.c has no JSON before 6.2), -color paints nothing, -r and -d change nothing', () => {
    const lab = bootLab({ seed: 3 });
    const sh = labShell(lab);
    const text = sh('tc -s class show dev ntb0').stdout;
    for (const opts of ['-j', '-j -p', '-s -j', '-color', '-r', '-d', '-s -s']) {
      const line = `tc -s ${opts} class show dev ntb0`;
      expect({ line, out: sh(line).stdout }).toEqual({ line, out: text });
    }
    expect(text.split('\n', 3)).toEqual(['class mq :1 root ', ' Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) ', ' backlog 0b 0p requeues 0']);
  });
});

describe('tc class: bad input and the kernel\'s answers', () => {
  it.each([
    ['tc class show dev', 'Command line is not complete. Try option "help"\n', 255],
    ['tc class show dev ntb9', 'Cannot find device "ntb9"\n', 1],
    ['tc class show dev ntb0 dev lo', 'Error: duplicate "dev": "lo" is the second value.\n', 255],
    ['tc class show dev ntb0 parent 1: parent 2:', 'Error: duplicate "parent": "parent" is the second value.\n', 255],
    ['tc class show dev ntb0 root parent 2:', 'Error: duplicate "parent": "parent" is the second value.\n', 255],
    ['tc class show dev ntb0 parent 1: root', 'Error: "root" is duplicate parent ID\n', 255],
    ['tc class show dev ntb0 parent 1:2:3', 'Error: argument "1:2:3" is wrong: invalid parent ID\n', 255],
    ['tc class show dev ntb0 classid x', 'Error: argument "x" is wrong: invalid class ID\n', 255],
    ['tc class show dev ntb0 classid 1:1 classid 1:2', 'Error: duplicate "classid": "1:2" is the second value.\n', 255],
    ['tc class show dev ntb0 qdisc 1x', 'Error: argument "1x" is wrong: invalid qdisc ID\n', 255],
    ['tc class show dev ntb0 qdisc 1: qdisc 2:', 'Error: duplicate "qdisc": "2:" is the second value.\n', 255],
    ['tc class show dev ntb0 p 1:', 'What is "p"? Try "tc class help".\n', 255],
    ['tc class frob', 'Command "frob" is unknown, try "tc class help".\n', 255],
    ['sudo tc class add dev ntb0 handle 1:', 'Error: try "classid" instead of "handle"\n', 255],
    ['sudo tc class add dev ntb0 root root', 'Error: "root" is duplicate parent ID.\n', 255],
    ['sudo tc class add dev ntb0 parent 1: parent 2:', 'Error: duplicate "parent": "2:" is the second value.\n', 255],
    ['sudo tc class add dev ntb0 classid', 'Command line is not complete. Try option "help"\n', 255],
    ['sudo tc class add dev ntb0 classid 1:x', 'Error: argument "1:x" is wrong: invalid class ID\n', 255],
    ['sudo tc class add dev ntb0 parent 1: classid 1:1 mq', 'Error: Qdisc "mq" is classless.\n', 1],
    ['sudo tc class add dev ntb0 parent 1: classid 1:1 fq_codel limit 5', 'Error: Qdisc "fq_codel" is classless.\n', 1],
    ['sudo tc class add dev ntb0 parent 1: classid 1:1 frobnicate_the_qdisc', 'Error: Qdisc "frobnicate_the_" is classless.\n', 1],
    ['sudo tc class add dev ntb9 classid 1:1', 'Cannot find device "ntb9"\n', 1],
    ['sudo tc class add dev ntb0 parent 1: classid 1:1 htb rate 1mbit', "tc: the lab's qdiscs are mq and fq_codel, and its tc does not parse htb's class options: tc class add … htb is not supported\n", 2],
    ['sudo tc class add dev ntb0 classid 1:1 estimator 1s 8s', 'tc: the lab has no rate estimators: tc class estimator is not supported\n', 2],
    ['tc class add dev ntb0 classid 1:1', 'RTNETLINK answers: Operation not permitted\n', 2],
    ['tc class del dev ntb0 classid 1:1', 'RTNETLINK answers: Operation not permitted\n', 2],
    ['sudo tc class add classid 1:1', 'RTNETLINK answers: No such device\n', 2],
    // The default mq's handle is 0: qdisc_lookup finds nothing.
    ['sudo tc class change dev ntb0 classid :1', 'RTNETLINK answers: No such file or directory\n', 2],
    ['sudo tc class del dev ntb0 parent root', 'RTNETLINK answers: No such file or directory\n', 2],
  ])('%s', (line, stderr, status) => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'ep', line)).toEqual({ stdout: '', stderr, status });
  });

  it.each([
    // [setup (SETUPS), line, result]
    ['mq', 'sudo tc class add dev ntb0 classid 1:1', err('RTNETLINK answers: File exists\n')],
    ['mq', 'sudo tc class add dev ntb0 parent 1: classid :40', err('RTNETLINK answers: File exists\n')],
    ['mq', 'sudo tc class change dev ntb0 classid 1:1', err('RTNETLINK answers: Operation not supported\n')],
    ['mq', 'sudo tc class replace dev ntb0 parent root classid 1:2', err('RTNETLINK answers: Operation not supported\n')],
    ['mq', 'sudo tc class delete dev ntb0 classid 1:1', err('RTNETLINK answers: Operation not supported\n')],
    ['mq', 'sudo tc class add dev ntb0 classid 1:41', err('RTNETLINK answers: Operation not supported\n')],
    ['mq', 'sudo tc class replace dev ntb0 parent 1:', err('RTNETLINK answers: Operation not supported\n')],
    ['mq', 'sudo tc class change dev ntb0 classid 1:41', err('RTNETLINK answers: No such file or directory\n')],
    ['mq', 'sudo tc class del dev ntb0 classid 1:0', err('RTNETLINK answers: No such file or directory\n')],
    // root with no classid is the class X:0, which mq_find does not have.
    ['mq', 'sudo tc class del dev ntb0 root', err('RTNETLINK answers: No such file or directory\n')],
    ['mq', 'sudo tc class add dev ntb0 parent 2: classid 1:1', err('RTNETLINK answers: Invalid argument\n')],
    ['mq', 'sudo tc class add dev ntb0 classid 2:1', err('RTNETLINK answers: No such file or directory\n')],
    ['mqfq', 'sudo tc class add dev ntb0 classid 8001:1', err('RTNETLINK answers: Operation not supported\n')],
    ['mqfq', 'sudo tc class change dev ntb0 classid 8001:1', err('RTNETLINK answers: No such file or directory\n')],
    ['mqfq', 'sudo tc class del dev ntb0 parent 8001: classid :5', err('RTNETLINK answers: No such file or directory\n')],
    ['pf', 'sudo tc class add dev ntb0 classid 8001:1', err('RTNETLINK answers: Invalid argument\n')],
    ['ffff', 'sudo tc class add dev ntb0 classid root', err('Error: Cannot create traffic class with classid TC_H_ROOT.\n')],
  ])('%s | %s', (setup, line, expected) => {
    const { sh } = setUp(setup);
    const before = [sh('tc -s -j qdisc show').stdout, sh('tc -s class show dev ntb0').stdout];
    expect(sh(line)).toEqual(expected);
    expect([sh('tc -s -j qdisc show').stdout, sh('tc -s class show dev ntb0').stdout]).toEqual(before);
  });

  it('help prints tc_class.c\'s usage on stderr and goes on, in a listing and in a change', () => {
    const lab = bootLab({ seed: 3 });
    const sh = labShell(lab);
    const usage = sh('tc class help');
    expect([usage.stdout, usage.status, usage.stderr.split('\n')]).toEqual([
      '',
      0,
      [
        'Usage: tc class [ add | del | change | replace | show ] dev STRING',
        '       [ classid CLASSID ] [ root | parent CLASSID ]',
        '       [ [ QDISC_KIND ] [ help | OPTIONS ] ]',
        '',
        '       tc class show [ dev STRING ] [ root | parent CLASSID ]',
        'Where:',
        'QDISC_KIND := { prio | cbq | etc. }',
        'OPTIONS := ... try tc class add <desired QDISC_KIND> help',
        '',
      ],
    ]);
    expect(sh('tc class show dev ntb0 help classid :1')).toEqual({ stdout: 'class mq :1 root \n', stderr: usage.stderr, status: 0 });
    expect(sh('tc class show help dev ntb0 bogus')).toEqual({ stdout: '', stderr: `${usage.stderr}What is "bogus"? Try "tc class help".\n`, status: 255 });
    expect(sh('sudo tc class change dev ntb0 h classid :1')).toEqual({ stdout: '', stderr: `${usage.stderr}RTNETLINK answers: No such file or directory\n`, status: 2 });
    expect(sh('sudo tc class add dev ntb0 help classid 1:1 handle 1:')).toEqual({ stdout: '', stderr: `${usage.stderr}Error: try "classid" instead of "handle"\n`, status: 255 });
  });
});
