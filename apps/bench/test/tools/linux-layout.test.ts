/**
 * Layouts of the lab's Linux files and iproute2 output against the captured samples
 * (fixtures/ping-ip.txt): /proc/interrupts, `ip -s link`, `ip link` flags and qdisc, the XPS
 * sysfs file, `ip link set txqueuelen`, and the shell's echo and sudo.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getProfile } from '@ntbsim/kernel';
import type { NetDevStats } from '@ntbsim/net-core';
import { describe, expect, it } from 'vitest';
import { bootLab } from '../../src/lab/lab.js';
import { lsColumns } from '../../src/tools/proc.js';
import { bitmapParse } from '../../src/tools/cpumask.js';
import { formatInterrupts, procInterrupts } from '../../src/tools/proc.js';
import { formatLinkStats } from '../../src/tools/system.js';
import { sh } from '../labShell.js';

const fixture = readFileSync(fileURLToPath(new URL('./fixtures/ping-ip.txt', import.meta.url)), 'utf8');

/** The output of the fixture's `$ COMMAND` block. */
function block(command: string): string {
  const start = fixture.indexOf(`$ ${command}\n`);
  const body = fixture.slice(start + command.length + 3);
  const end = body.indexOf('\n$ ');
  return end < 0 ? body : body.slice(0, end + 1);
}


const zeroStats = (over: Partial<NetDevStats>): NetDevStats => {
  const keys = ['rxPackets', 'txPackets', 'rxBytes', 'txBytes', 'rxErrors', 'txErrors', 'rxDropped', 'txDropped', 'multicast', 'collisions', 'rxLengthErrors', 'rxOverErrors', 'rxCrcErrors', 'rxFrameErrors', 'rxFifoErrors', 'rxMissedErrors', 'txAbortedErrors', 'txCarrierErrors', 'txFifoErrors', 'txHeartbeatErrors', 'txWindowErrors', 'rxCompressed', 'txCompressed', 'rxNohandler', 'rxOtherhostDropped'] as const;
  return { ...(Object.fromEntries(keys.map((k) => [k, 0])) as unknown as NetDevStats), ...over };
};

describe('/proc/interrupts', () => {
  it('prints the sample byte for byte (x86 rows: chip, hwirq of prec width, -edge, handler)', () => {
    const rows = [
      { num: 24, counts: [1, 0], chip: 'IO-APIC', hwirq: 5, flow: 'edge', actions: ['ACPI:Ged'] },
      { num: 25, counts: [0, 1], chip: 'IO-APIC', hwirq: 6, flow: 'edge', actions: ['ACPI:Ged'] },
      { num: 26, counts: [0, 8], chip: 'IO-APIC', hwirq: 4, flow: 'edge', actions: ['ttyS0'] },
      { num: 28, counts: [0, 0], chip: 'PCI-MSIX-0000:00:01.0', hwirq: 0, flow: 'edge', actions: ['virtio0-config'] },
    ];
    expect(formatInterrupts([0, 1], rows, 64)).toBe(block('cat /proc/interrupts (head)'));
  });

  it('widens the number and hwirq columns with nr_irqs (prec), as show_interrupts does', () => {
    const text = formatInterrupts([0], [{ num: 7, counts: [3], chip: 'GICv3', hwirq: 27, trigger: 'Level', actions: ['arch_timer', 'other'] }], 1000);
    expect(text).toBe(`${' '.repeat(12)}CPU0       \n   7:          3    GICv3   27 Level     arch_timer, other\n`);
  });

  it("the lab's boards: arm64 layout, the RC's MSI vectors in the DesignWare per-device domain, the eDMA on the GIC", () => {
    const lab = bootLab({ seed: 3 });
    const lines = procInterrupts(lab.boards.rc).split('\n');
    expect(lines[0]).toBe(`${' '.repeat(11)}${[0, 1, 2, 3, 4, 5, 6, 7].map((c) => `CPU${c}       `).join('')}`);
    const zeros = '          0'.repeat(8);
    const edma = lab.boards.rc.host.irqs.values().next().value?.num ?? 0;
    expect(lines).toContain(` ${edma}:${zeros}    GICv3 449 Level     dw-edma`);
    const msi = lab.pair.rcIrqs();
    msi.forEach((irq, i) => expect(lines).toContain(` ${irq.num}:${zeros} DW-PCI-MSI-0000:01:00.0 ${String(i).padStart(3)} Edge      ntb_epf`));
    expect(sh(lab, 'rc', 'cat /proc/interrupts').stdout).toBe(procInterrupts(lab.boards.rc));
  });

  it("ends with arm64's IPI rows (IPI0-IPI7: \"%*s%u:%s\", \"%10u \" per CPU, the name) and Err, at the width of prec", () => {
    const ipis = ['Rescheduling interrupts', 'Function call interrupts'].map((name, i) => ({ name, counts: [i, 10 * i] }));
    expect(formatInterrupts([0, 1], [], 64, ipis)).toBe(
      `${' '.repeat(11)}CPU0       CPU1       \nIPI0:         0          0       Rescheduling interrupts\nIPI1:         1         10       Function call interrupts\nErr:          0\n`,
    );
    expect(formatInterrupts([0], [], 1000, [{ name: 'Function call interrupts', counts: [1] }]).split('\n').slice(1)).toEqual(['IPI0:          1       Function call interrupts', ' Err:          0', '']);
  });

  it('counts IPIs where the model sends them: a redirected MSI is an IRQ work IPI to its CPU; an x86 board prints no arm64 rows', () => {
    const lab = bootLab({ seed: 3 });
    const v3 = lab.pair.rcIrqs()[3];
    v3?.setAffinity(1 << 2);
    const ipiRow = (name: string): string => procInterrupts(lab.boards.rc).split('\n').find((l) => l.endsWith(name)) ?? '';
    const irqWork = (): number[] => ipiRow('IRQ work interrupts').slice(5).trim().split(/ +/).slice(0, 8).map(Number);
    const before = irqWork();
    lab.pair.faults.spuriousDoorbell({ to: 'rc', vector: 3 });
    expect(sh(lab, 'rc', 'sleep 0.01').status).toBe(0);
    expect(irqWork().map((n, i) => n - (before[i] ?? 0))).toEqual([0, 0, 1, 0, 0, 0, 0, 0]);
    expect(ipiRow('IRQ work interrupts')).toMatch(/^IPI5:( +\d+){8} {7}IRQ work interrupts$/);
    const lines = procInterrupts(lab.boards.rc).split('\n');
    expect(lines.slice(-10).map((l) => l.slice(0, 5))).toEqual(['IPI0:', 'IPI1:', 'IPI2:', 'IPI3:', 'IPI4:', 'IPI5:', 'IPI6:', 'IPI7:', 'Err: ', '']);
    const x86 = bootLab({ seed: 3, profile: getProfile('x86-server') });
    expect(procInterrupts(x86.boards.rc)).not.toMatch(/IPI|Err/);
  });
});

describe('/proc/net/softnet_stat', () => {
  it('one line per CPU of 15 %08x fields, as softnet_seq_show prints them: processed, dropped and time_squeeze from the stack, the CPU index, the backlog', () => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'ep', 'ping -c 2 -i 0.2 -q 10.0.0.1').status).toBe(0);
    const r = sh(lab, 'rc', 'cat /proc/net/softnet_stat');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n').slice(0, -1);
    expect(lines).toHaveLength(8);
    for (const [cpu, line] of lines.entries()) {
      expect(line).toMatch(/^([0-9a-f]{8} ){14}[0-9a-f]{8}$/);
      const f = line.split(' ').map((x) => parseInt(x, 16));
      const st = lab.boards.rc.stack.softnetStat()[cpu];
      expect(f.slice(0, 3)).toEqual([st?.processed, st?.dropped, st?.timeSqueeze]);
      expect(f.slice(3, 11)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
      expect(f[12]).toBe(cpu);
      expect(f[11]).toBe(f[13]);
    }
    // The two echo requests went through the RC's backlog.
    expect(lines.reduce((n, l) => n + parseInt(l.slice(0, 8), 16), 0)).toBeGreaterThanOrEqual(2);
    expect(sh(lab, 'rc', 'ls /proc/net').stdout).toBe('arp  dev  netstat  snmp  softnet_stat\n');
  });
});

describe('/proc/net/snmp', () => {
  it('snmp_seq_show\'s header and value line per MIB (v6.3+ fields), the stack\'s counters in them, IcmpMsg only for the ICMP types seen', () => {
    const lab = bootLab({ seed: 3 });
    const before = sh(lab, 'rc', 'cat /proc/net/snmp').stdout.split('\n');
    expect(before.map((l) => l.split(':')[0])).toEqual(['Ip', 'Ip', 'Icmp', 'Icmp', 'Tcp', 'Tcp', 'Udp', 'Udp', 'UdpLite', 'UdpLite', '']);
    expect(sh(lab, 'ep', 'ping -c 3 -i 0.2 -q 10.0.0.1').status).toBe(0);
    const lines = sh(lab, 'rc', 'cat /proc/net/snmp').stdout.split('\n').slice(0, -1);
    const mib = new Map<string, Map<string, number>>();
    for (let i = 0; i < lines.length; i += 2) {
      const [name, ...keys] = (lines[i] as string).split(' ');
      const [name2, ...vals] = (lines[i + 1] as string).split(' ');
      expect(name2).toBe(name);
      expect(vals).toHaveLength(keys.length);
      mib.set((name as string).slice(0, -1), new Map(keys.map((k, j) => [k, Number(vals[j])])));
    }
    expect(lines[0]).toBe('Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates OutTransmits');
    expect(lines[4]).toBe('IcmpMsg: InType8 OutType0');
    expect(lines[5]).toBe('IcmpMsg: 3 3');
    expect(lines[6]).toBe('Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors');
    expect(lines[8]).toBe('Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors');
    const stack = lab.boards.rc.stack.snmp;
    expect([...(mib.get('Ip')?.entries() ?? [])].slice(0, 3)).toEqual([['Forwarding', 2], ['DefaultTTL', 64], ['InReceives', stack.Ip.InReceives]]);
    expect(mib.get('Ip')?.get('OutTransmits')).toBe(stack.Ip.OutTransmits);
    expect(mib.get('Icmp')?.get('InEchos')).toBe(3);
    expect(mib.get('Icmp')?.get('OutEchoReps')).toBe(3);
    expect(mib.get('Tcp')?.get('MaxConn')).toBe(-1);
    expect(mib.get('Tcp')?.get('RetransSegs')).toBe(stack.Tcp.RetransSegs);
  });
});

describe('ip link', () => {
  it('-s rows: the sample byte for byte (print_num writes a space after every number)', () => {
    const s = zeroStats({ rxBytes: 134244, rxPackets: 102, txBytes: 134244, txPackets: 102, txDropped: 1 });
    const sample = block('ip -s link show veth0').split('\n').slice(2).join('\n');
    expect(formatLinkStats(s)).toBe(sample);
  });

  it('-s columns widen to the largest value of either row, headers aligned with them; compressed shows when nonzero', () => {
    const s = zeroStats({ rxBytes: 126570234447969, rxPackets: 15016149200, txErrors: 1234567, rxCompressed: 5 });
    expect(formatLinkStats(s)).toBe(
      '    RX:       bytes     packets  errors dropped  missed   mcast compressed\n' +
        '    126570234447969 15016149200       0       0       0       0          5 \n' +
        '    TX:       bytes     packets  errors dropped carrier collsns           \n' +
        '                  0           0 1234567       0       0       0 \n',
    );
  });

  it('-s -s adds the RX and TX error rows of print_stats64: header words right-aligned to the shared columns, nohandler and transns only when there', () => {
    const s = zeroStats({ rxBytes: 134244, rxPackets: 102, txBytes: 134244, txPackets: 102, txDropped: 1 });
    expect(formatLinkStats(s, 2)).toBe(
      '    RX:  bytes packets errors dropped  missed   mcast           \n' +
        '        134244     102      0       0       0       0 \n' +
        '    RX errors:  length    crc   frame    fifo overrun\n' +
        '                     0      0       0       0       0 \n' +
        '    TX:  bytes packets errors dropped carrier collsns           \n' +
        '        134244     102      0       1       0       0 \n' +
        '    TX errors: aborted   fifo  window heartbt        \n' +
        '                     0      0       0       0 \n',
    );
    expect(formatLinkStats(s, 2, 2).split('\n').slice(6, 8)).toEqual(['    TX errors: aborted   fifo  window heartbt transns', '                     0      0       0       0       2 ']);
    // Wide values widen the shared columns of every row (crc is the errors column); a nonzero nohandler adds its column.
    const wide = zeroStats({ rxBytes: 126570234447969, rxCrcErrors: 12345678, rxNohandler: 3 });
    expect(formatLinkStats(wide, 2).split('\n').slice(0, 4)).toEqual([
      '    RX:       bytes packets   errors dropped  missed   mcast           ',
      '    126570234447969       0        0       0       0       0 ',
      '    RX errors:       length      crc   frame    fifo overrun  nohandler',
      '                          0 12345678       0       0       0          3 ',
    ]);
    // size_columns counts digits as `powi < val` does: 10, 100, … get one fewer.
    expect(formatLinkStats(zeroStats({ rxCrcErrors: 10000000 }), 2).split('\n')[3]).toBe('                     0 10000000       0       0       0 ');
  });

  it('a fresh ntb0 has the noop qdisc until its first open; up without carrier is NO-CARRIER, state DOWN; down again keeps mq', () => {
    const lab = bootLab({ seed: 8 });
    expect(sh(lab, 'ep', 'rmmod ntb_netdev').status).toBe(0);
    expect(sh(lab, 'ep', 'modprobe ntb_netdev').status).toBe(0);
    const head = (): string => sh(lab, 'ep', 'ip link show ntb0').stdout.split('\n')[0]?.replace(/^\d+: /, '') ?? '';
    expect(head()).toBe('ntb0: <BROADCAST,MULTICAST> mtu 65510 qdisc noop state DOWN mode DEFAULT group default qlen 1000');
    expect(sh(lab, 'ep', 'fault link down').status).toBe(0);
    expect(sh(lab, 'ep', 'ip link set ntb0 up').status).toBe(0);
    expect(head()).toBe('ntb0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 65510 qdisc mq state DOWN mode DEFAULT group default qlen 1000');
    expect(sh(lab, 'ep', 'fault link up').status).toBe(0);
    lab.sim.run({ until: lab.sim.now + 300e6 });
    expect(head()).toBe('ntb0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 65510 qdisc mq state UP mode DEFAULT group default qlen 1000');
    expect(sh(lab, 'ep', 'ip link set ntb0 down').status).toBe(0);
    expect(head()).toBe('ntb0: <BROADCAST,MULTICAST> mtu 65510 qdisc mq state DOWN mode DEFAULT group default qlen 1000');
  });

  it('lo keeps its noqueue qdisc when set down, as a closed device keeps the qdisc its first open attached', () => {
    const lab = bootLab({ seed: 8 });
    expect(sh(lab, 'ep', 'ip link set lo down').status).toBe(0);
    expect(sh(lab, 'ep', 'ip link show lo').stdout).toBe('1: lo: <LOOPBACK> mtu 65536 qdisc noqueue state DOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n');
  });

  it('set txqueuelen (and its iproute2 abbreviations) sets the qdisc limit; a negative value wraps to u32 as the kernel takes it', () => {
    const lab = bootLab({ seed: 4 });
    const dev = lab.boards.ep.netdev()?.ndev;
    expect(sh(lab, 'ep', 'ip link set ntb0 txqueuelen 500')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(dev?.txqueuelen).toBe(500);
    expect(sh(lab, 'ep', 'ip link show ntb0').stdout).toContain(' qlen 500\n');
    expect(sh(lab, 'ep', 'ip link set dev ntb0 txq 0x40').status).toBe(0);
    expect(dev?.txqueuelen).toBe(64);
    expect(sh(lab, 'ep', 'ip link set ntb0 qlen 10 down').status).toBe(0);
    expect({ qlen: dev?.txqueuelen, up: dev?.isUp }).toEqual({ qlen: 10, up: false });
    expect(sh(lab, 'ep', 'ip link set ntb0 txqlen -1').status).toBe(0);
    expect(dev?.txqueuelen).toBe(4294967295);
  });
});

describe('ip -d: the details iproute2 6.1 prints', () => {
  const LO_DETAILS = ' promiscuity 0 minmtu 0 maxmtu 0 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 ';
  const ntb0Details = (queues: number, promiscuity = 0): string =>
    ` promiscuity ${promiscuity} minmtu 0 maxmtu 65535 numtxqueues ${queues} numrxqueues ${queues} gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 parentbus ntb_transport parentdev ntb_netdev0 `;

  it('link and addr: the link line gains the MTU range, queue counts, GSO/TSO/GRO limits and ntb0\'s parent (its ntb_transport client device); lo has no max_mtu and no parent', () => {
    const lab = bootLab({ seed: 8 });
    const out = sh(lab, 'rc', 'ip -d link show').stdout.split('\n');
    expect(out[1]).toBe(`    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00${LO_DETAILS}`);
    expect(out[3]).toMatch(new RegExp(`^    link/ether [0-9a-f:]{17} brd ff:ff:ff:ff:ff:ff${ntb0Details(64)}$`));
    // -details in full and with -s: the stats follow the details.
    const withStats = sh(lab, 'ep', 'ip -details -s link show ntb0').stdout.split('\n');
    expect(withStats[1]?.endsWith(ntb0Details(64))).toBe(true);
    expect(withStats[2]).toBe('    RX:  bytes packets errors dropped  missed   mcast           ');
    const addr = sh(lab, 'rc', 'ip -d addr show ntb0').stdout.split('\n');
    expect(addr[1]?.endsWith(ntb0Details(64))).toBe(true);
    expect(addr[2]).toBe('    inet 10.0.0.1/24 scope global ntb0');
    // The single-queue baseline driver allocates one queue (alloc_etherdev).
    const base = bootLab({ seed: 8, params: { transport: {}, netdev: { variant: 'baseline' } } });
    expect(sh(base, 'ep', 'ip -d link show ntb0').stdout.split('\n')[1]?.endsWith(ntb0Details(1))).toBe(true);
    // -br ignores the details, as iproute2 does.
    expect(sh(lab, 'rc', 'ip -d -br link show lo').stdout).toBe(sh(lab, 'rc', 'ip -br link show lo').stdout);
  });

  it('a capture holds the device promiscuous: promiscuity 1 while tcpdump runs, the kernel\'s entered/left lines in dmesg; tcpdump -p does not', () => {
    const lab = bootLab({ seed: 3 });
    const details = (): string => sh(lab, 'rc', 'ip -d link show ntb0').stdout.split('\n')[1] ?? '';
    expect(sh(lab, 'rc', 'sudo tcpdump -i ntb0 -n -c 2 icmp &').status).toBe(0);
    expect(details().endsWith(ntb0Details(64, 1))).toBe(true);
    // IFF_PROMISC set by a packet socket is not in the flags ip shows (dev_get_flags keeps the user's only).
    expect(sh(lab, 'rc', 'ip link show ntb0').stdout).toMatch(/<BROADCAST,MULTICAST,UP,LOWER_UP>/);
    expect(sh(lab, 'ep', 'ping -c 1 10.0.0.1').status).toBe(0);
    expect(sh(lab, 'rc', 'wait').status).toBe(0);
    expect(details().endsWith(ntb0Details(64, 0))).toBe(true);
    expect(sh(lab, 'rc', 'dmesg').stdout.split('\n').filter((l) => l.includes('promiscuous')).map((l) => l.replace(/^\[[ \d.]+\] /, ''))).toEqual([
      'ntb_netdev ntb_netdev0 ntb0: entered promiscuous mode',
      'ntb_netdev ntb_netdev0 ntb0: left promiscuous mode',
    ]);
    expect(sh(lab, 'rc', 'sudo tcpdump -p -i ntb0 -n -c 2 icmp &').status).toBe(0);
    expect(details().endsWith(ntb0Details(64, 0))).toBe(true);
    expect(sh(lab, 'ep', 'ping -c 1 10.0.0.1').status).toBe(0);
    expect(sh(lab, 'rc', 'wait').status).toBe(0);
    expect(sh(lab, 'rc', 'dmesg').stdout.split('\n').filter((l) => l.includes('promiscuous'))).toHaveLength(2);
  });

  it('ip link set promisc on|off: the user\'s IFF_PROMISC, shown among the flags, takes one promiscuity reference beside a capture\'s; only the count\'s 0 ↔ 1 changes are logged', () => {
    const lab = bootLab({ seed: 3 });
    const lines = (): string[] => sh(lab, 'rc', 'ip -d link show ntb0').stdout.split('\n');
    expect(sh(lab, 'rc', 'ip link set ntb0 promisc on')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(lines()[0]).toMatch(/^2: ntb0: <BROADCAST,MULTICAST,PROMISC,UP,LOWER_UP> /);
    expect(lines()[1]?.endsWith(ntb0Details(64, 1))).toBe(true);
    // Setting it as it is takes no second reference (__dev_change_flags compares with gflags).
    expect(sh(lab, 'rc', 'ip link set ntb0 promisc on').status).toBe(0);
    expect(sh(lab, 'rc', 'sudo tcpdump -i ntb0 -n -c 1 icmp &').status).toBe(0);
    expect(lines()[1]?.endsWith(ntb0Details(64, 2))).toBe(true);
    expect(sh(lab, 'rc', 'ip link set ntb0 promisc off').status).toBe(0);
    expect(lines()[0]).toMatch(/^2: ntb0: <BROADCAST,MULTICAST,UP,LOWER_UP> /);
    expect(lines()[1]?.endsWith(ntb0Details(64, 1))).toBe(true);
    expect(sh(lab, 'ep', 'ping -c 1 10.0.0.1').status).toBe(0);
    expect(sh(lab, 'rc', 'wait').status).toBe(0);
    expect(lines()[1]?.endsWith(ntb0Details(64, 0))).toBe(true);
    expect(sh(lab, 'rc', 'dmesg').stdout.split('\n').filter((l) => l.includes('promiscuous')).map((l) => l.replace(/^\[[ \d.]+\] /, ''))).toEqual([
      'ntb_netdev ntb_netdev0 ntb0: entered promiscuous mode',
      'ntb_netdev ntb_netdev0 ntb0: left promiscuous mode',
    ]);
    // lo too; a bad value is iplink_parse's on_off error and changes nothing.
    expect(sh(lab, 'rc', 'ip link set lo promisc on').status).toBe(0);
    expect(sh(lab, 'rc', 'ip link show lo').stdout).toMatch(/^1: lo: <LOOPBACK,PROMISC,UP,LOWER_UP> /);
    expect(sh(lab, 'rc', 'ip link set ntb0 promisc yes')).toEqual({ stdout: '', stderr: 'Error: argument of "promisc" must be "on" or "off", not "yes"\n', status: 255 });
    expect(sh(lab, 'rc', 'ip link set ntb0 promisc')).toEqual({ stdout: '', stderr: 'Command line is not complete. Try option "help"\n', status: 255 });
    expect(lines()[0]).toMatch(/^2: ntb0: <BROADCAST,MULTICAST,UP,LOWER_UP> /);
  });

  it('route: the type (unicast) and, for route get, the table (main: the boards have no policy rules, so local routes share its trie)', () => {
    const lab = bootLab({ seed: 8 });
    expect(sh(lab, 'rc', 'ip -d route').stdout).toBe('unicast 10.0.0.0/24 dev ntb0 proto kernel scope link src 10.0.0.1 \n');
    expect(sh(lab, 'rc', 'ip -d route get 10.0.0.2').stdout).toBe('unicast 10.0.0.2 dev ntb0 table main src 10.0.0.1 uid 1000 \n    cache \n');
    expect(sh(lab, 'rc', 'ip -d route get 10.0.0.1').stdout).toBe('local 10.0.0.1 dev lo table main src 10.0.0.1 uid 1000 \n    cache <local> \n');
    expect(sh(lab, 'rc', 'ip route get 10.0.0.1').stdout).toBe('local 10.0.0.1 dev lo src 10.0.0.1 uid 1000 \n    cache <local> \n');
  });

  it('lo takes any MTU up to INT_MAX (no max_mtu; the core sets it, lo has no ndo_change_mtu); ip refuses one past INT_MAX, the kernel one below min_mtu', () => {
    const lab = bootLab({ seed: 8 });
    expect(sh(lab, 'rc', 'ip link set lo mtu 2147483647').status).toBe(0);
    expect(sh(lab, 'rc', 'ip link show lo').stdout).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP> mtu 2147483647 /);
    expect(sh(lab, 'rc', 'ip link set lo mtu 65536').status).toBe(0);
    expect(sh(lab, 'rc', 'cat /sys/class/net/lo/mtu').stdout).toBe('65536\n');
    expect(sh(lab, 'rc', 'ip link set lo mtu 2147483648')).toEqual({ stdout: '', stderr: 'Error: argument "2147483648" is wrong: Invalid "mtu" value\n\n', status: 255 });
    expect(sh(lab, 'rc', 'ip link set ntb0 mtu 65536')).toEqual({ stdout: '', stderr: 'Error: mtu greater than device maximum.\n', status: 2 });
  });
});

describe('XPS: /sys/class/net/ntb0/queues/tx-N/xps_cpus', () => {
  it('bitmap_parse: hex chunks of 32 bits from the end, commas and blanks between; EINVAL, EOVERFLOW', () => {
    expect(bitmapParse('3\n', 8)).toEqual([3]);
    expect(bitmapParse('\n', 8)).toEqual([]);
    expect(bitmapParse('0000000f', 8)).toEqual([15]);
    expect(bitmapParse('1,00000002', 64)).toEqual([2, 1]);
    expect(bitmapParse('ff', 8)).toEqual([255]);
    expect(bitmapParse('1ff', 8)).toBe('EOVERFLOW');
    expect(bitmapParse('1,0', 8)).toBe('EOVERFLOW');
    expect(bitmapParse('123456789', 64)).toBe('EOVERFLOW');
    expect(bitmapParse('0x1', 8)).toBe('EINVAL');
    expect(bitmapParse('zz', 8)).toBe('EINVAL');
  });

  it('cat shows the hex mask of the CPUs mapped to the queue; echo sets it through net-core, and an empty write clears it', () => {
    const lab = bootLab({ seed: 6, params: { transport: {}, netdev: { queues: 2 } }, vntb: { mwSizes: [1 << 20, 1 << 20] } });
    const dev = lab.boards.ep.netdev()?.ndev;
    const file = (q: number): string => `/sys/class/net/ntb0/queues/tx-${q}/xps_cpus`;
    expect(sh(lab, 'ep', `cat ${file(1)}`)).toEqual({ stdout: '00\n', stderr: '', status: 0 });
    expect(sh(lab, 'ep', `echo 0c > ${file(1)}`).status).toBe(0);
    expect(dev?.txQueue(1).xpsCpus).toBe(0x0c);
    expect(sh(lab, 'ep', `cat ${file(1)}`).stdout).toBe('0c\n');
    expect(sh(lab, 'ep', `echo 80 > ${file(0)}`).status).toBe(0);
    expect(dev?.txQueue(0).xpsCpus).toBe(0x80);
    expect(sh(lab, 'ep', `echo > ${file(1)}`).status).toBe(0);
    expect(dev?.txQueue(1).xpsCpus).toBe(0);
  });

  it('a single-queue device: the file exists but reading and writing it give ENOENT (xps_cpus_show/store)', () => {
    const lab = bootLab({ seed: 6, params: { transport: {}, netdev: { variant: 'baseline' } } });
    const file = '/sys/class/net/ntb0/queues/tx-0/xps_cpus';
    expect(lab.boards.ep.netdev()?.ndev.numTxQueues).toBe(1);
    expect(sh(lab, 'ep', `cat ${file}`)).toEqual({ stdout: '', stderr: `cat: ${file}: No such file or directory\n`, status: 1 });
    expect(sh(lab, 'ep', `echo 1 > ${file}`)).toEqual({ stdout: '', stderr: 'bash: echo: write error: No such file or directory\n', status: 1 });
  });
});

describe('shell builtins', () => {
  it('echo prints its arguments like bash (-n, -e, -E)', () => {
    const lab = bootLab({ seed: 2 });
    expect(sh(lab, 'ep', 'echo hello   "big  world" $PEER_IP')).toEqual({ stdout: 'hello big  world 10.0.0.1\n', stderr: '', status: 0 });
    expect(sh(lab, 'ep', 'echo').stdout).toBe('\n');
    expect(sh(lab, 'ep', 'echo -n a b').stdout).toBe('a b');
    expect(sh(lab, 'ep', "echo -e 'a\\tb\\x41\\0101\\cgone'").stdout).toBe('a\tbAA');
    expect(sh(lab, 'ep', "echo -E 'a\\tb'").stdout).toBe('a\\tb\n');
    expect(sh(lab, 'ep', 'echo -x -n').stdout).toBe('-x -n\n');
  });

  it('sudo -E runs the command like sudo; an option sudo does not know fails as sudo does', () => {
    const lab = bootLab({ seed: 2 });
    expect(sh(lab, 'ep', 'sudo -E ip link show ntb0').stdout).toBe(sh(lab, 'ep', 'ip link show ntb0').stdout);
    expect(sh(lab, 'ep', 'sudo --preserve-env -n ethtool -l ntb0').status).toBe(0);
    const bad = sh(lab, 'ep', 'sudo -x ip link');
    expect({ status: bad.status, first: bad.stderr.split('\n')[0], stdout: bad.stdout }).toEqual({ status: 1, first: "sudo: invalid option -- 'x'", stdout: '' });
    expect(bad.stderr).toContain('usage: sudo -h | -K | -k | -V\n');
    expect(sh(lab, 'ep', 'sudo --bogus ip link').stderr.split('\n')[0]).toBe("sudo: unrecognized option '--bogus'");
  });
});

describe('ls -C columns', () => {
  // Captured from GNU ls 9.1 (`ls -C -w 80 -T 0`, LC_ALL=C) over files of these names.
  it('lays names out down the columns as GNU ls does on an 80-column terminal', () => {
    const irqs = [...Array.from({ length: 25 }, (_, i) => String(16 + i)), 'default_smp_affinity'];
    expect(lsColumns(irqs)).toBe('16  18  20  22  24  26  28  30  32  34  36  38  40\n17  19  21  23  25  27  29  31  33  35  37  39  default_smp_affinity\n');
    const mixed = ['a', 'bb', 'ccc', 'dddd', 'e'.repeat(20), 'f'.repeat(29), 'gg', 'h'.repeat(15), 'i', 'j'.repeat(13), 'k', 'l'.repeat(18)];
    expect(lsColumns(mixed)).toBe(
      `a    dddd                           gg               ${'j'.repeat(13)}\nbb   ${'e'.repeat(20)}           ${'h'.repeat(15)}  k\nccc  ${'f'.repeat(29)}  i                ${'l'.repeat(18)}\n`,
    );
    expect(lsColumns(['x'.repeat(100), 'y'])).toBe(`${'x'.repeat(100)}\ny\n`);
    expect(lsColumns([])).toBe('');
  });
});

describe('counter files, usage texts and errno messages', () => {
  it('/proc/net/dev: dev_seq_show\'s header and one row per device (lo first), the same counters ip -s link shows', () => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'ep', 'ping -c 2 -i 0.2 -q 10.0.0.1').status).toBe(0);
    const r = sh(lab, 'ep', 'cat /proc/net/dev');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Inter-|   Receive                                                |  Transmit');
    expect(lines[1]).toBe(' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed');
    const s = lab.boards.ep.netdev()?.ndev.stats;
    expect(s).toBeDefined();
    if (s === undefined) return;
    const row = (name: string, v: NetDevStats): string =>
      `${name.padStart(6)}: ${String(v.rxBytes).padStart(7)} ${String(v.rxPackets).padStart(7)} ${String(v.rxErrors).padStart(4)} ${String(v.rxDropped + v.rxMissedErrors).padStart(4)}    0     0          0         0 ${String(v.txBytes).padStart(8)} ${String(v.txPackets).padStart(7)} ${String(v.txErrors).padStart(4)} ${String(v.txDropped).padStart(4)}    0     0       0          0`;
    expect(lines[2]?.startsWith('    lo: ')).toBe(true);
    expect(lines[3]).toBe(row('ntb0', s));
    expect(s.rxPackets).toBeGreaterThanOrEqual(2);
    expect(lines).toHaveLength(5);
  });

  it('/sys/class/net/DEV/statistics/* and mtu: one counter per file, as ip -s link and the model count them; ls lists them', () => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'ep', 'ping -c 3 -i 0.2 -q 10.0.0.1').status).toBe(0);
    const s = lab.boards.ep.netdev()?.ndev.stats;
    if (s === undefined) throw new Error('no ntb0');
    const cat = (f: string): string => sh(lab, 'ep', `cat /sys/class/net/ntb0/statistics/${f}`).stdout;
    expect([cat('rx_bytes'), cat('tx_bytes'), cat('rx_packets'), cat('tx_packets')]).toEqual([`${s.rxBytes}\n`, `${s.txBytes}\n`, `${s.rxPackets}\n`, `${s.txPackets}\n`]);
    expect([cat('rx_errors'), cat('tx_errors'), cat('rx_dropped'), cat('tx_dropped'), cat('rx_fifo_errors'), cat('rx_nohandler')]).toEqual([`${s.rxErrors}\n`, `${s.txErrors}\n`, `${s.rxDropped}\n`, `${s.txDropped}\n`, `${s.rxFifoErrors}\n`, `${s.rxNohandler}\n`]);
    expect(Number(cat('tx_packets'))).toBeGreaterThanOrEqual(3);
    const stats = sh(lab, 'ep', 'ip -s link show ntb0').stdout.split('\n');
    expect(stats[3]?.trim().split(/\s+/).slice(0, 2)).toEqual([String(s.rxBytes), String(s.rxPackets)]);
    expect(sh(lab, 'ep', 'ls -1 /sys/class/net/ntb0/statistics').stdout.split('\n').filter((l) => l !== '')).toEqual(
      ['collisions', 'multicast', 'rx_bytes', 'rx_compressed', 'rx_crc_errors', 'rx_dropped', 'rx_errors', 'rx_fifo_errors', 'rx_frame_errors', 'rx_length_errors', 'rx_missed_errors', 'rx_nohandler', 'rx_over_errors', 'rx_packets', 'tx_aborted_errors', 'tx_bytes', 'tx_carrier_errors', 'tx_compressed', 'tx_dropped', 'tx_errors', 'tx_fifo_errors', 'tx_heartbeat_errors', 'tx_packets', 'tx_window_errors'],
    );
    expect(sh(lab, 'ep', 'cat /sys/class/net/ntb0/statistics/nope')).toEqual({ stdout: '', stderr: 'cat: /sys/class/net/ntb0/statistics/nope: No such file or directory\n', status: 1 });
    expect(sh(lab, 'ep', 'cat /sys/class/net/lo/mtu /sys/class/net/ntb0/mtu').stdout).toBe(`65536\n${lab.boards.ep.netdev()?.ndev.mtu}\n`);
    expect(sh(lab, 'ep', 'sudo ip link set ntb0 mtu 1500').status).toBe(0);
    expect(sh(lab, 'ep', 'cat /sys/class/net/ntb0/mtu').stdout).toBe('1500\n');
  });

  it('top twice with no time between: every CPU 100.0 idle, as procps counts an empty interval', () => {
    const lab = bootLab({ seed: 3 });
    sh(lab, 'rc', 'top');
    const r = sh(lab, 'rc', 'top');
    const cpus = r.stdout.split('\n').filter((l) => l.startsWith('%Cpu'));
    expect(cpus.length).toBe(lab.boards.rc.host.cpus.length);
    for (const l of cpus) expect(l.endsWith(':  0.0 us,  0.0 sy,  0.0 ni,100.0 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st')).toBe(true);
  });

  it('ip help, ip -help, ip --help, ip link|addr|route help: iproute2\'s usage on stderr, status 255', () => {
    const lab = bootLab({ seed: 3 });
    for (const line of ['ip help', 'ip -help', 'ip --help', 'ip -h']) {
      const r = sh(lab, 'ep', line);
      expect([r.stdout, r.status]).toEqual(['', 255]);
      expect(r.stderr.split('\n').slice(0, 3)).toEqual(['Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }', '       ip [ -force ] -batch filename', 'where  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp |']);
      expect(r.stderr.endsWith('                    -c[olor]}\n')).toBe(true);
    }
    const link = sh(lab, 'ep', 'ip link help');
    expect(link.status).toBe(255);
    expect(link.stderr.startsWith('Usage: ip link add [link DEV | parentdev NAME] [ name ] NAME\n')).toBe(true);
    expect(link.stderr).toContain('\n               [ mtu MTU ]\n');
    expect(link.stderr.endsWith('          xfrm | virt_wifi }\n')).toBe(true);
    const addr = sh(lab, 'ep', 'ip addr help');
    expect([addr.status, addr.stderr.split('\n')[0]]).toEqual([255, 'Usage: ip address {add|change|replace} IFADDR dev IFNAME [ LIFETIME ]']);
    const route = sh(lab, 'ep', 'ip route help');
    expect([route.status, route.stderr.split('\n')[0], route.stderr.split('\n').at(-2)]).toEqual([255, 'Usage: ip route { list | flush } SELECTOR', 'ROUTE_GET_FLAG := [ connected | fibmatch | notify ]']);
    // get_integer takes -1; the kernel refuses it (dev_validate_mtu's extack), as with iproute2's int mtu.
    expect(sh(lab, 'ep', 'sudo ip link set ntb0 mtu -1')).toEqual({ stdout: '', stderr: 'Error: mtu less than device minimum.\n', status: 2 });
  });

  it('sysctl, top, modprobe, rmmod: their --help and -h print the tools\' usage on stdout, status 0', () => {
    const lab = bootLab({ seed: 3 });
    for (const line of ['sysctl --help', 'sysctl -h']) {
      const r = sh(lab, 'ep', line);
      expect([r.stderr, r.status]).toEqual(['', 0]);
      expect(r.stdout.startsWith('\nUsage:\n sysctl [options] [variable[=value] ...]\n\nOptions:\n  -a, --all            display all variables\n')).toBe(true);
      expect(r.stdout.endsWith(' -h, --help     display this help and exit\n -V, --version  output version information and exit\n\nFor more details see sysctl(8).\n')).toBe(true);
    }
    const topHelp = '  procps-ng 3.3.17\nUsage:\n  top -hv | -bcEeHiOSs1 -d secs -n max -u|U user -p pid(s) -o field -w [cols]\n';
    for (const line of ['top -h', 'top --help', 'top -v']) expect(sh(lab, 'ep', line)).toEqual({ stdout: topHelp, stderr: '', status: 0 });
    const rmmod = sh(lab, 'ep', 'rmmod --help');
    expect(rmmod).toEqual({ stdout: expect.stringMatching(/^Usage:\n\trmmod \[options\] modulename \.\.\.\nOptions:\n\t-f, --force {7}forces a module unload/) as string, stderr: '', status: 0 });
    expect(rmmod.stdout.endsWith('\t-h, --help        show this help\n')).toBe(true);
    const modprobe = sh(lab, 'ep', 'modprobe --help');
    expect([modprobe.stderr, modprobe.status, modprobe.stdout.split('\n')[1]]).toEqual(['', 0, '\tmodprobe [options] [-i] [-b] modulename']);
    expect(modprobe.stdout.endsWith('\t-h, --help                  show this help\n')).toBe(true);
    // Nothing was loaded or unloaded.
    expect(lab.boards.ep.netdev()).not.toBeNull();
  });

  it('modprobe and ip print strerror, not raw errno numbers', () => {
    const lab = bootLab({ seed: 3 });
    const ep = lab.boards.ep;
    const real = ep.loadNetdev.bind(ep);
    expect(sh(lab, 'ep', 'sudo rmmod ntb_netdev').status).toBe(0);
    ep.loadNetdev = (): number => -19;
    expect(sh(lab, 'ep', 'sudo modprobe ntb_netdev')).toEqual({ stdout: '', stderr: "modprobe: ERROR: could not insert 'ntb_netdev': No such device\n", status: 1 });
    ep.loadNetdev = real;
    expect(sh(lab, 'ep', 'sudo modprobe ntb_netdev').status).toBe(0);
    const dev = ep.netdev()?.ndev;
    if (dev === undefined) throw new Error('no ntb0');
    dev.open = (): number => -12;
    expect(sh(lab, 'ep', 'sudo ip link set ntb0 up')).toEqual({ stdout: '', stderr: 'RTNETLINK answers: Cannot allocate memory\n', status: 2 });
  });
});
