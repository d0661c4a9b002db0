/**
 * iproute2's tc over the boards' qdiscs: print_qdisc's layout (checked against tc 6.1 on
 * Linux 6.18), the `-s` counters equal to the model's per-TX-queue qdiscs after traffic, mq's
 * line the sum of its children, what a closed or never-opened device shows, `-j`/`-p`, `-o`,
 * `-r`, `-color`, tc's abbreviations, and its errors and exit statuses.
 */
import type { NetDevice } from '@ntbsim/net-core';
import { describe, expect, it } from 'vitest';
import { labCommands } from '../../src/commands.js';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { defaultVars } from '../../src/lab/script.js';
import { runLine } from '../../src/lab/shell.js';
import { sprintSize } from '../../src/tools/tc.js';
import type { CommandResult } from '../../src/types.js';

function sh(lab: Lab, board: 'rc' | 'ep', line: string): CommandResult {
  return runLine(line, { lab, board: lab.boards[board], vars: defaultVars(lab, lab.boards[board]) }, labCommands());
}

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
  const QDISC_ONLY = (what: string): string => `tc: the lab shows qdiscs only (tc qdisc show): tc ${what} is not supported\n`;
  const NO_CHANGE = (verb: string): string =>
    `tc: the lab shows qdiscs only: tc qdisc ${verb} is not supported (the model's qdiscs are the kernel's defaults: mq over a pfifo_fast per TX queue, or one pfifo_fast, on ntb0; noqueue on lo)\n`;
  // bad-input.test.ts checks that these leave the lab as it was; here, what tc's order of matches() makes of abbreviations.
  it.each([
    ['tc qdisc l dev ntb0', 'link'],
    ['tc q r dev ntb0 root fq_codel', 'replace'],
    ['tc qdisc d dev ntb0 root', 'delete'],
    ['tc qd a dev ntb0 root fq', 'add'],
  ])('%s is qdisc %s, refused with status 2', (line, verb) => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'ep', line)).toEqual({ stdout: '', stderr: NO_CHANGE(verb), status: 2 });
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
    ['tc class show dev ntb0', QDISC_ONLY('class'), 1],
    ['tc f show dev ntb0', QDISC_ONLY('filter'), 1],
    ['tc actions ls', QDISC_ONLY('actions'), 1],
    ['tc monitor', QDISC_ONLY('monitor'), 1],
  ])('%s', (line, stderr, status) => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'ep', line)).toEqual({ stdout: '', stderr, status });
  });
});
