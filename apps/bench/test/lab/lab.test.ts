import { extendProfile, getProfile } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { labCommands } from '../../src/commands.js';
import { bootLab, seedMwSizes } from '../../src/lab/lab.js';
import { runScript } from '../../src/lab/script.js';
import { completePath } from '../../src/lab/shell.js';
import { combinedOutput } from '../../src/tools/output.js';
import { sh } from '../labShell.js';


describe('the two-board lab', () => {
  const lab = bootLab({ seed: 5, vntb: { mwSizes: [1 << 20, 1 << 20] }, doorbell: { rc: 'per-bit', ep: 'per-bit' } });

  it('boots both boards with ntb0 up, carrier on, addresses set', () => {
    for (const b of [lab.boards.rc, lab.boards.ep]) {
      const nd = b.netdev();
      expect(nd?.ndev.isUp).toBe(true);
      expect(nd?.ndev.netifCarrierOk()).toBe(true);
      expect(nd?.ndev.mtu).toBe(65510);
      expect(b.stack.addressesOf(nd?.ndev ?? ({} as never))).toEqual([`${b.ip}/24`]);
    }
  });

  it('a board whose EPF leaves no doorbell bit for a QP (per-bit, db_count 3) boots ntb_transport with no QP, and the lab says why there is no ntb0', () => {
    expect(() => bootLab({ doorbell: { rc: 'per-bit', ep: 'per-bit' }, vntb: { dbCount: 3 } })).toThrow(
      /^ep: ntb_netdev's probe failed \(-EIO\): ntb_transport has no queue pair \(qp_count = ilog2\(db_valid_mask 0x1\) = 0\), so there is no ntb0$/,
    );
  });

  it('boards whose transports count different QPs never link, and the boot says so (4 MSI vectors leave the per-bit host one doorbell bit)', () => {
    const profile = extendProfile(getProfile('rcar-s4'), { pcie: { msiVectors: { value: 4 } } });
    expect(() => bootLab({ profile, doorbell: { rc: 'per-bit', ep: 'per-bit' }, vntb: { mwSizes: seedMwSizes(2) }, params: { transport: {}, netdev: { queues: 2 } } })).toThrow(
      "ntb0 carrier did not come up on both boards within 5 s of virtual time (rc: transport link down, qp_count 1 (db_valid_mask 0x3), ntb0 queues: qp0 down; ep: transport link down, qp_count 2 (db_valid_mask 0x3fff), ntb0 queues: qp0 down, qp1 down): the boards' qp_count differ, and ntb_transport_link_work retries for as long as the peer's NUM_QPS is not its own",
    );
  });

  it('a transport_mtu too small for ntb0 fails the boot saying why: below ETH_HLEN the probe fails, below an MTU of 68 ntb0 has no IPv4', () => {
    expect(() => bootLab({ params: { transport: { transportMtu: 20 }, netdev: {} } })).toThrow("rc: ntb_netdev's probe failed: max_size 8 leaves no room for an Ethernet header (ETH_HLEN 14); raise ntb_transport.transport_mtu");
    expect(() => bootLab({ params: { transport: { transportMtu: 41 }, netdev: {} } })).toThrow("rc: ntb0's MTU 15 (max_size 29 − ETH_HLEN) is below 68: it has no IPv4, so 'ip addr add 10.0.0.1/24 dev ntb0' fails (No buffer space available)");
    expect(bootLab({ params: { transport: { transportMtu: 94 }, netdev: {} } }).boards.ep.netdev()?.ndev.mtu).toBe(68);
  });

  it('ip -s link show ntb0 prints the iproute2 block; bad devices and options fail as ip does', () => {
    const r = sh(lab, 'rc', 'ip -s link show ntb0');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\d+: ntb0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 65510 qdisc mq state UP mode DEFAULT group default qlen 1000\n {4}link\/ether ([0-9a-f]{2}:){5}[0-9a-f]{2} brd ff:ff:ff:ff:ff:ff\n {4}RX: {2}bytes packets errors dropped {2}missed {3}mcast/);
    expect(sh(lab, 'rc', 'ip link set eth9 up')).toEqual({ stdout: '', stderr: 'Cannot find device "eth9"\n', status: 1 });
    expect(sh(lab, 'rc', 'ip link set ntb0 mtu 70000').stderr).toBe('Error: mtu greater than device maximum.\n');
    expect(sh(lab, 'rc', 'ip frob')).toEqual({ stdout: '', stderr: 'Object "frob" is unknown, try "ip help".\n', status: 255 });
  });

  it('/proc/interrupts lists the NTB MSI vectors per CPU, and smp_affinity moves them', () => {
    const text = sh(lab, 'rc', 'cat /proc/interrupts').stdout;
    const header = text.split('\n')[0] ?? '';
    expect(header.trim().split(/\s+/)).toEqual(['CPU0', 'CPU1', 'CPU2', 'CPU3', 'CPU4', 'CPU5', 'CPU6', 'CPU7']);
    const irq = lab.pair.rcIrqs()[2];
    if (irq === undefined) throw new Error('no vector 2');
    expect(text).toContain(`${irq.num}:`);
    expect(sh(lab, 'rc', `echo 4 > /proc/irq/${irq.num}/smp_affinity`).status).toBe(0);
    expect(irq.affinity).toBe(4);
    expect(sh(lab, 'rc', `cat /proc/irq/${irq.num}/smp_affinity`).stdout).toBe('04\n');
    const bad = sh(lab, 'rc', `echo 100 > /proc/irq/${irq.num}/smp_affinity`);
    expect(bad).toEqual({ stdout: '', stderr: 'bash: echo: write error: Value too large for defined data type\n', status: 1 });
    expect(irq.affinity).toBe(4);
    expect(sh(lab, 'rc', 'cat /proc/nope').stderr).toBe('cat: /proc/nope: No such file or directory\n');
  });

  it('cat of the transport debugfs stats prints the kernel lines', () => {
    const dev = lab.boards.rc.transport()?.dev.name ?? '';
    const r = sh(lab, 'rc', `cat /sys/kernel/debug/ntb_transport/${dev}/qp0/stats`);
    expect(r.stdout.startsWith('\nNTB QP stats:\n\nrx_bytes - \t')).toBe(true);
    expect(r.stdout).toContain('QP Link - \tUp\n');
  });

  it('ls lists the modelled tree; bash pathname expansion finds the debugfs and /proc/irq files; directories and missing paths fail as cat, ls and bash do', () => {
    const rc = lab.boards.rc;
    const dev = rc.transport()?.dev.name ?? '';
    const irqs = [...rc.host.irqs.keys()].sort((a, b) => a - b);
    expect(sh(lab, 'rc', 'ls /')).toEqual({ stdout: 'home  proc  sys  tmp\n', stderr: '', status: 0 });
    expect(sh(lab, 'rc', 'ls -1 /sys/kernel/debug/ntb_transport/').stdout).toBe(`${dev}\n`);
    expect(sh(lab, 'rc', `ls /sys/kernel/debug/ntb_transport/${dev}`).stdout).toBe('qp0  qp1\n');
    expect(sh(lab, 'rc', 'ls /sys/class/net/ntb0/queues').stdout).toBe('rx-0  tx-0\n');
    expect(sh(lab, 'rc', 'ls -1 /proc/irq').stdout).toBe([...irqs.map(String), 'default_smp_affinity'].sort().map((n) => `${n}\n`).join(''));
    const stats = sh(lab, 'rc', 'cat /sys/kernel/debug/ntb_transport/*/qp0/stats');
    expect(stats).toEqual(sh(lab, 'rc', `cat /sys/kernel/debug/ntb_transport/${dev}/qp0/stats`));
    expect(stats.stdout).toContain('QP Link - \tUp\n');
    // qp1 has no client, so its link is down: debugfs_read returns nothing, as in the kernel.
    expect(sh(lab, 'rc', 'cat /sys/kernel/debug/ntb_transport/*/qp1/stats')).toEqual({ stdout: '', stderr: '', status: 0 });
    const all = sh(lab, 'rc', 'cat /proc/irq/*/smp_affinity');
    expect(all.status).toBe(0);
    expect(all.stdout.split('\n').filter((l) => l !== '')).toHaveLength(irqs.length);
    expect(sh(lab, 'rc', `echo /proc/irq/${irqs[0] ?? 0}/smp_aff?nity /sys/class/net/ntb0/queues/[rt]x-0`).stdout).toBe(`/proc/irq/${irqs[0] ?? 0}/smp_affinity /sys/class/net/ntb0/queues/rx-0 /sys/class/net/ntb0/queues/tx-0\n`);
    expect(sh(lab, 'rc', "echo '/proc/*' /proc/irq/99999* /pr[!o]c").stdout).toBe('/proc/* /proc/irq/99999* /pr[!o]c\n');
    // As bash: a trailing / keeps the directories, with their slash; POSIX classes and a leading ] in brackets.
    expect(sh(lab, 'rc', 'cd /').status).toBe(0);
    expect(sh(lab, 'rc', 'echo */ proc/*/').stdout).toBe('home/ proc/ sys/ tmp/ proc/irq/ proc/net/ proc/sys/\n');
    expect(sh(lab, 'rc', 'cd').status).toBe(0);
    const last = String(irqs.at(-1) ?? 0);
    expect(sh(lab, 'rc', `echo /proc/irq/${last.slice(0, -1)}[[:digit:]]`).stdout.split(' ')).toContain(`/proc/irq/${last}\n`);
    expect(sh(lab, 'rc', 'echo /proc/irq/[]x]* /proc/[[:upper:]]*').stdout).toBe('/proc/irq/[]x]* /proc/[[:upper:]]*\n');
    expect(sh(lab, 'rc', 'cat /sys/kernel/debug/ntb_transport/*/qp7/stats')).toEqual({ stdout: '', stderr: 'cat: /sys/kernel/debug/ntb_transport/*/qp7/stats: No such file or directory\n', status: 1 });
    expect(sh(lab, 'rc', 'ls /proc/interrupts /nope /sys/class/net')).toEqual({ stdout: '/proc/interrupts\n\n/sys/class/net:\nlo  ntb0\n', stderr: "ls: cannot access '/nope': No such file or directory\n", status: 2 });
    expect(sh(lab, 'rc', 'ls -d /proc /sys').stdout).toBe('/proc  /sys\n');
    expect(sh(lab, 'rc', 'ls -l')).toEqual({ stdout: '', stderr: "ls: -l: not supported by the lab's ls (it takes -1, -C and -d; its files have no owners, sizes or times)\n", status: 2 });
    expect(sh(lab, 'rc', 'ls -z')).toEqual({ stdout: '', stderr: "ls: invalid option -- 'z'\nTry 'ls --help' for more information.\n", status: 2 });
    expect(sh(lab, 'rc', 'cat /proc/irq')).toEqual({ stdout: '', stderr: 'cat: /proc/irq: Is a directory\n', status: 1 });
    expect(sh(lab, 'rc', 'echo 1 > /proc/irq')).toEqual({ stdout: '', stderr: 'bash: /proc/irq: Is a directory\n', status: 1 });
    // A read-only file opens for root and the write fails: EIO from procfs, EINVAL from debugfs.
    expect(sh(lab, 'rc', 'echo 1 > /proc/interrupts')).toEqual({ stdout: '', stderr: 'bash: echo: write error: Input/output error\n', status: 1 });
    expect(sh(lab, 'rc', `echo 1 > /sys/kernel/debug/ntb_transport/${dev}/qp0/stats`)).toEqual({ stdout: '', stderr: 'bash: echo: write error: Invalid argument\n', status: 1 });
    expect(sh(lab, 'rc', 'ls ""')).toEqual({ stdout: '', stderr: "ls: cannot access '': No such file or directory\n", status: 2 });
    expect(sh(lab, 'rc', `cat /proc/irq/${irqs[0] ?? 0}/../${irqs[0] ?? 0}//smp_affinity`).status).toBe(0);
    const irq = rc.host.irqs.get(irqs[0] ?? 0);
    const was = irq?.affinity;
    expect(sh(lab, 'rc', `echo 2 >> /proc/irq/${String(irqs[0] ?? 0).slice(0, -1)}[${String(irqs[0] ?? 0).slice(-1)}]/smp_affinity 2>/dev/null`)).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(irq?.affinity).toBe(2);
    expect(sh(lab, 'rc', 'echo 4 > /proc/irq/*/smp_affinity')).toEqual({ stdout: '', stderr: 'bash: /proc/irq/*/smp_affinity: ambiguous redirect\n', status: 1 });
    expect(irq?.affinity).toBe(2);
    sh(lab, 'rc', `echo ${(was ?? 255).toString(16)} > /proc/irq/${irqs[0] ?? 0}/smp_affinity`);
    expect(irq?.affinity).toBe(was);
    expect(sh(lab, 'rc', 'cat /proc/interrupts/ /proc/interrupts/x').stderr).toBe('cat: /proc/interrupts/: Not a directory\ncat: /proc/interrupts/x: Not a directory\n');
    expect(sh(lab, 'rc', 'ls /proc/interrupts/..').stderr).toBe("ls: cannot access '/proc/interrupts/..': Not a directory\n");
    const before = rc.host.irqs.get(irqs[0] ?? 0)?.affinity;
    // open(O_CREAT) of a name ending in '/' in an existing directory: EISDIR.
    expect(sh(lab, 'rc', `echo 1 > /proc/irq/${irqs[0] ?? 0}/smp_affinity/`)).toEqual({ stdout: '', stderr: `bash: /proc/irq/${irqs[0] ?? 0}/smp_affinity/: Is a directory\n`, status: 1 });
    expect(rc.host.irqs.get(irqs[0] ?? 0)?.affinity).toBe(before);
  });

  it("dmesg prints the board's kernel log: the drivers' dev_info lines with the PCI driver and device, stamped with the uptime", () => {
    const r = sh(lab, 'rc', 'dmesg');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.every((l) => /^\[ *\d+\.\d{6}\] /.test(l))).toBe(true);
    const text = lines.map((l) => l.replace(/^\[ *\d+\.\d{6}\] /, ''));
    expect(text.slice(0, 2)).toEqual(['ntb_hw_epf 0000:01:00.0: NTB Transport QP 0 created', 'ntb_hw_epf 0000:01:00.0: ntb0 created with 1 queue pairs']);
    expect(text).toContain('ntb_hw_epf 0000:01:00.0: qp 0: Link Up');
    expect(sh(lab, 'ep', 'dmesg').stdout).toMatch(/^\[ *\d+\.\d{6}\] pci-vntb 0000:10:00\.0: qp 0: Link Up$/m);
    const l2 = bootLab({ seed: 2 });
    expect(sh(l2, 'ep', 'ip link set ntb0 down').status).toBe(0);
    l2.sim.run({ until: l2.sim.now + 50e6 });
    // ntb_send_link_down's dev_info names the side that began the teardown; the peer logs its cleanup.
    expect(sh(l2, 'ep', 'dmesg | grep -c "pci-vntb 0000:10:00.0: qp 0: Send Link Down"').stdout).toBe('1\n');
    expect(sh(l2, 'rc', 'dmesg | grep -c "qp 0: Send Link Down"').stdout).toBe('0\n');
    expect(sh(l2, 'rc', 'dmesg | grep -c "ntb_hw_epf 0000:01:00.0: qp 0: Link Cleanup"').stdout).toBe('1\n');
    expect(sh(lab, 'rc', 'dmesg -T')).toEqual({ stdout: '', stderr: "dmesg: -T: not supported by the lab's dmesg (it prints the whole kernel log, without options)\n", status: 1 });
  });

  it('pipelines feed one command into grep, head, tail and wc; the status is the last command\'s', () => {
    expect(sh(lab, 'rc', 'dmesg | grep -c "qp 0: Link Up"')).toEqual({ stdout: '1\n', stderr: '', status: 0 });
    const rows = sh(lab, 'rc', 'cat /proc/interrupts | grep ntb_epf | wc -l');
    expect(rows).toEqual({ stdout: `${lab.pair.rcIrqs().length}\n`, stderr: '', status: 0 });
    expect(sh(lab, 'rc', 'cat /proc/interrupts | head -n 1').stdout).toMatch(/^ +CPU0 +CPU1 .*CPU7 +\n$/);
    expect(sh(lab, 'rc', 'dmesg | grep nothing-like-this')).toEqual({ stdout: '', stderr: '', status: 1 });
    const missing = sh(lab, 'rc', 'cat /nope | wc -l');
    expect(missing).toMatchObject({ stdout: '0\n', stderr: 'cat: /nope: No such file or directory\n', status: 0 });
    // cat complains before wc, reading to the end of its input, prints its count: so on a terminal.
    expect(combinedOutput(missing)).toBe('cat: /nope: No such file or directory\n0\n');
    expect(sh(lab, 'rc', 'grep -c dw-edma /proc/interrupts').stdout).toBe('1\n');
    expect(sh(lab, 'rc', 'dmesg | frob')).toEqual({ stdout: '', stderr: 'bash: frob: command not found\n', status: 127 });
    expect(sh(lab, 'rc', "echo 'a|b' | grep -F 'a|b'").stdout).toBe('a|b\n');
    // Into a pipe ls lists one name per line (isatty false), on the terminal in columns.
    const irqCount = lab.boards.rc.host.irqs.size;
    expect(sh(lab, 'rc', 'ls /proc/irq | wc -l').stdout).toBe(`${irqCount + 1}\n`);
    expect(sh(lab, 'rc', 'ls -C /proc/irq | wc -l').stdout).toBe('2\n');
    expect(sh(lab, 'rc', 'dmesg | cat')).toEqual(sh(lab, 'rc', 'dmesg'));
    expect(sh(lab, 'rc', 'cat /nope 2>/dev/null')).toEqual({ stdout: '', stderr: '', status: 1 });
    expect(sh(lab, 'rc', 'cat /nope 2>&1 | grep -c "No such file"')).toEqual({ stdout: '1\n', stderr: '', status: 0 });
  });

  it('tab completion offers the entries of a path word, directories with a slash', () => {
    const rc = lab.boards.rc;
    expect(completePath(rc, '/sys/k')).toEqual(['/sys/kernel/']);
    expect(completePath(rc, '/proc/')).toEqual(['/proc/interrupts', '/proc/irq/', '/proc/net/', '/proc/softirqs', '/proc/stat', '/proc/sys/', '/proc/uptime']);
    expect(completePath(rc, `/sys/kernel/debug/ntb_transport/${rc.transport()?.dev.name ?? ''}/q`)).toHaveLength(2);
    expect(completePath(rc, '/pr')).toEqual(['/proc/']);
    // A relative word completes in the working directory (the home directory at boot).
    expect(completePath(rc, '../')).toEqual(['../user/']);
    expect(completePath(rc, '/nope/x')).toEqual([]);
  });

  it('ethtool -l / -L work on ntb0 and ENOSPC when no QP is left', () => {
    expect(sh(lab, 'ep', 'ethtool -l ntb0').stdout).toBe('Channel parameters for ntb0:\nPre-set maximums:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t64\nCurrent hardware settings:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t1\n');
    expect(sh(lab, 'ep', 'ethtool -L ntb0 combined 2')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(lab.boards.ep.netdev()?.queues).toHaveLength(2);
    const r = sh(lab, 'ep', 'ethtool -L ntb0 combined 3');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('netlink error: No space left on device');
    expect(lab.boards.ep.netdev()?.queues).toHaveLength(2);
  });

  it('sleep advances virtual time and top reports per-CPU utilisation', () => {
    const t0 = lab.sim.now;
    expect(sh(lab, 'ep', 'sleep 0.5').status).toBe(0);
    expect(lab.sim.now - t0).toBe(500_000_000);
    expect(sh(lab, 'ep', 'sleep x').stderr).toContain("sleep: invalid time interval 'x'");
    const top = sh(lab, 'ep', 'top').stdout;
    expect(top.split('\n').filter((l) => l.startsWith('%Cpu'))).toHaveLength(8);
  });

  it('top lists the tasks that ran, busiest first: a receiver pinned to the RX interrupt CPU shares it with ksoftirqd', () => {
    const l = bootLab({ seed: 4 });
    expect(sh(l, 'rc', 'iperf3 -s -D -A 0').status).toBe(0);
    sh(l, 'rc', 'top');
    expect(sh(l, 'ep', 'iperf3 -c 10.0.0.1 -l 65480 -P 4 -t 2 -i 0').status).toBe(0);
    const lines = sh(l, 'rc', 'top').stdout.split('\n');
    const at = lines.indexOf(' %CPU   P COMMAND');
    expect(at).toBeGreaterThan(8);
    const rows = lines.slice(at + 1).filter((x) => x !== '').map((x) => /^ *([\d.]+) +(\d+) (.+)$/.exec(x)).map((m) => ({ pct: Number(m?.[1]), cpu: Number(m?.[2]), comm: m?.[3] }));
    expect(rows[0]).toMatchObject({ cpu: 0, comm: 'ksoftirqd/0' });
    // The rest of the RX softirq time runs at irq exit, ahead of the receiver, under no task.
    expect(rows[0]?.pct).toBeGreaterThan(40);
    expect(rows.find((r) => r.comm === 'iperf3')).toMatchObject({ cpu: 0 });
    expect(rows.map((r) => r.pct)).toEqual([...rows.map((r) => r.pct)].sort((a, b) => b - a));
    // iperf3's time is its system calls: top shows it as sy, never us.
    const cpu0 = lines.find((x) => x.startsWith('%Cpu0 '));
    expect(cpu0).toMatch(/^%Cpu0 {2}: {2}0\.0 us, +[1-9][\d.]* sy, /);
  });

  it('rmmod and modprobe ntb_netdev remove and recreate ntb0 (down, no address), as on a board', () => {
    const l2 = bootLab({ seed: 8 });
    expect(sh(l2, 'ep', 'sudo rmmod ntb_netdev').status).toBe(0);
    expect(sh(l2, 'ep', 'ip link show ntb0').stderr).toBe('Device "ntb0" does not exist.\n');
    expect(l2.boards.ep.netdev()).toBeNull();
    expect(sh(l2, 'ep', 'rmmod ntb_netdev').stderr).toBe('rmmod: ERROR: Module ntb_netdev is not currently loaded\n');
    expect(sh(l2, 'ep', 'sudo modprobe ntb_netdev').status).toBe(0);
    const nd = l2.boards.ep.netdev();
    expect(nd?.ndev.isUp).toBe(false);
    expect(sh(l2, 'ep', 'ip link set ntb0 up').status).toBe(0);
    l2.sim.run({ until: l2.sim.now + 200e6 });
    expect(nd?.ndev.netifCarrierOk()).toBe(true);
  });

  it('modprobe ntb_netdev wake_timer=hrtimer hrtimer_mode=hard arms the wake timer in hardirq mode; a bad mode fails the load as the kernel does', () => {
    const l = bootLab({ seed: 8 });
    expect(sh(l, 'ep', 'sudo rmmod ntb_netdev').status).toBe(0);
    expect(sh(l, 'ep', 'sudo modprobe ntb_netdev wake_timer=hrtimer hrtimer_mode=pinned')).toMatchObject({ status: 1, stderr: "modprobe: ERROR: could not insert 'ntb_netdev': Invalid argument\n" });
    expect(sh(l, 'ep', 'dmesg').stdout).toContain("ntb_netdev: 'pinned' invalid for parameter 'hrtimer_mode'\n");
    expect(l.boards.ep.netdev()).toBeNull();
    expect(sh(l, 'ep', 'sudo modprobe ntb_netdev wake_timer=hrtimer hrtimer_mode=hard').status).toBe(0);
    const nd = l.boards.ep.netdev();
    const timer = nd?.queues[0]?.timer;
    expect([nd?.wakeTimer, nd?.hrtimerMode, timer !== undefined && 'kind' in timer ? timer.kind : null]).toEqual(['hrtimer', 'hard', 'hardirq']);
  });

  it('rmmod ntb_transport (after ntb_netdev) and modprobe ntb_netdev reload the stack; ip addr add/del configure the new ntb0; an EP-side reload needs the host to reload too', () => {
    const l = bootLab({ seed: 8 });
    const carrier = (b: 'rc' | 'ep'): boolean | undefined => l.boards[b].netdev()?.ndev.netifCarrierOk();
    expect(sh(l, 'rc', 'rmmod ntb_transport')).toMatchObject({ status: 1, stderr: 'rmmod: ERROR: Module ntb_transport is in use by: ntb_netdev\n' });
    expect(sh(l, 'rc', 'rmmod ntb_hw_epf')).toMatchObject({ status: 1, stderr: 'rmmod: ERROR: Module ntb_hw_epf is in use by: ntb_transport\n' });
    // rmmod returns once ntb_transport_free's TEARDOWN_MW and LINK_DOWN (EPF commands, one per
    // run of the EP's 5 ms delayed work: 2 jiffies at HZ 250) are done: the EP has seen the
    // link go down by then.
    const rmmodAt = l.sim.now;
    expect(sh(l, 'rc', 'rmmod ntb_netdev ntb_transport').status).toBe(0);
    expect(l.sim.now - rmmodAt).toBeGreaterThan(0);
    expect(l.sim.now - rmmodAt).toBeLessThanOrEqual(16_000_000 + 100_000);
    expect(l.boards.rc.ntb.sleepingOps).toBe(0);
    expect(l.pair.ep.ops.linkIsUp().peers).toBe(0);
    expect(l.boards.rc.transport()).toBeNull();
    expect(sh(l, 'rc', 'rmmod ntb_transport')).toMatchObject({ status: 1, stderr: 'rmmod: ERROR: Module ntb_transport is not currently loaded\n' });
    l.sim.run({ until: l.sim.now + 100e6 });
    expect(carrier('ep')).toBe(false);
    const modprobeAt = l.sim.now;
    expect(sh(l, 'rc', 'modprobe ntb_netdev').status).toBe(0);
    expect(l.sim.now - modprobeAt).toBeGreaterThan(0);
    expect(l.pair.ep.ops.linkIsUp().peers).toBe(1);
    expect(l.boards.rc.transport()).not.toBeNull();
    expect(sh(l, 'rc', 'ip addr add 10.0.0.1/24')).toMatchObject({ status: 255, stderr: 'Not enough information: "dev" argument is required.\n' });
    expect(sh(l, 'rc', 'ip addr add 10.0.0.x/24 dev ntb0')).toMatchObject({ status: 1, stderr: 'Error: any valid prefix is expected rather than "10.0.0.x/24".\n' });
    expect(sh(l, 'rc', 'ip addr add 10.0.0.1/24 dev eth9')).toMatchObject({ status: 1, stderr: 'Cannot find device "eth9"\n' });
    expect(sh(l, 'rc', 'ip addr add 10.0.0.1/24 dev ntb0').status).toBe(0);
    expect(sh(l, 'rc', 'ip addr add 10.0.0.1/24 dev ntb0')).toMatchObject({ status: 2, stderr: 'RTNETLINK answers: File exists\n' });
    expect(sh(l, 'rc', 'ip addr del 10.0.0.7/24 dev ntb0')).toMatchObject({ status: 2, stderr: 'RTNETLINK answers: Cannot assign requested address\n' });
    expect(sh(l, 'rc', 'ip link set ntb0 up').status).toBe(0);
    l.sim.run({ until: l.sim.now + 1500e6 });
    expect([carrier('rc'), carrier('ep')]).toEqual([true, true]);
    expect(sh(l, 'ep', 'ping -c 1 10.0.0.1').status).toBe(0);
    // From the EP: vNTB's link_disable is a no-op, the host sees no link event and never
    // rewrites the scratchpads the EP's link cleanup zeroed.
    expect(sh(l, 'ep', 'modprobe -r ntb_netdev ntb_transport').status).toBe(0);
    expect(sh(l, 'ep', 'modprobe ntb_netdev').status).toBe(0);
    expect(sh(l, 'ep', 'ip addr add 10.0.0.2/24 dev ntb0').status).toBe(0);
    expect(sh(l, 'ep', 'ip link set ntb0 up').status).toBe(0);
    l.sim.run({ until: l.sim.now + 2000e6 });
    expect(l.boards.ep.transport()?.linkIsUp).toBe(false);
    expect(sh(l, 'rc', 'rmmod ntb_netdev ntb_transport').status).toBe(0);
    expect(sh(l, 'rc', 'modprobe ntb_netdev').status).toBe(0);
    expect(sh(l, 'rc', 'ip addr add 10.0.0.1/24 dev ntb0').status).toBe(0);
    expect(sh(l, 'rc', 'ip link set ntb0 up').status).toBe(0);
    l.sim.run({ until: l.sim.now + 1500e6 });
    expect([carrier('rc'), carrier('ep')]).toEqual([true, true]);
    expect(sh(l, 'ep', 'ping -c 1 10.0.0.1').status).toBe(0);
  });

  it('sysctl reads and writes the network sysctls as procps does (unknown names and refused values: status 255, nothing changed)', () => {
    const l = bootLab({ seed: 8 });
    expect(sh(l, 'rc', 'sysctl net.core.wmem_max').stdout).toBe('net.core.wmem_max = 212992\n');
    expect(sh(l, 'rc', 'sudo sysctl -w net.core.wmem_max=1073741824')).toMatchObject({ status: 0, stdout: 'net.core.wmem_max = 1073741824\n' });
    expect(l.boards.rc.stack.sysctl.wmemMax).toBe(1073741824);
    expect(l.boards.ep.stack.sysctl.wmemMax).toBe(212992);
    expect(sh(l, 'rc', 'sysctl -n net.ipv4.tcp_mem net/ipv4/tcp_timestamps').stdout).toBe('45234\t60313\t90468\n1\n');
    expect(sh(l, 'rc', 'sysctl net.ipv4.tcp_rmem=4096 131072 6291456').status).toBe(255);
    expect(sh(l, 'rc', 'sysctl net.core.nope')).toMatchObject({ status: 255, stderr: 'sysctl: cannot stat /proc/sys/net/core/nope: No such file or directory\n' });
    expect(sh(l, 'rc', 'sysctl -w net.ipv4.tcp_mem=9 2 1')).toMatchObject({ status: 255 });
    expect(sh(l, 'rc', 'sysctl -w net.core.rmem_max=-5')).toMatchObject({ status: 255, stderr: 'sysctl: setting key "net.core.rmem_max": Invalid argument\n' });
    expect(l.boards.rc.stack.sysctl.rmemMax).toBe(212992);
    expect(sh(l, 'rc', 'sysctl -w net.core.rmem_max')).toMatchObject({ status: 255, stderr: 'sysctl: "net.core.rmem_max" must be of the form name=value\n' });
    // -a: every sysctl the model has, sorted; /proc/net/snmp's DefaultTTL is net.ipv4.ip_default_ttl.
    const all = sh(l, 'rc', 'sysctl -a').stdout.split('\n').slice(0, -1);
    expect(all.map((x) => x.split(' = ')[0])).toEqual([...all.map((x) => x.split(' = ')[0] as string)].sort());
    expect(all).toContain('net.ipv4.tcp_mem = 45234\t60313\t90468');
    expect(sh(l, 'rc', 'sysctl -n -a').stdout.split('\n')).toHaveLength(all.length + 1);
    expect(sh(l, 'rc', 'sysctl -w net.ipv4.ip_default_ttl=32').status).toBe(0);
    expect(sh(l, 'rc', 'cat /proc/net/snmp').stdout.split('\n')[1]).toMatch(/^Ip: 2 32 /);
  });

  it('modprobe with a parameter ntb_netdev does not have: the kernel logs it as ignored (console line on stderr) and the module loads', () => {
    const l = bootLab({ seed: 8, vntb: { mwSizes: [1 << 20, 1 << 20] } });
    expect(sh(l, 'ep', 'rmmod ntb_netdev').status).toBe(0);
    l.sim.run({ until: l.sim.now + 1_234_567_000 });
    const us = Math.floor((l.sim.now - l.boards.ep.host.bootTime) / 1000);
    const stamp = `[${String(Math.floor(us / 1e6)).padStart(5)}.${String(us % 1e6).padStart(6, '0')}]`;
    expect(stamp).toMatch(/^\[ {4}1\.2\d{5}\]$/);
    const r = sh(l, 'ep', 'modprobe ntb_netdev foo=1 ntb_num_queues=2 bar');
    expect(r).toEqual({ stdout: '', stderr: `${stamp} ntb_netdev: unknown parameter 'foo' ignored\n${stamp} ntb_netdev: unknown parameter 'bar' ignored\n`, status: 0 });
    expect(l.boards.ep.netdev()?.queues.length).toBe(2);
    expect(l.boards.ep.kernelLog).toEqual(r.stderr.trimEnd().split('\n'));
    expect(sh(l, 'ep', 'rmmod ntb_netdev').status).toBe(0);
    expect(sh(l, 'ep', 'modprobe ntb_netdev foo=1 ntb_num_queues=x')).toEqual({ stdout: '', stderr: "modprobe: ERROR: could not insert 'ntb_netdev': Invalid argument\n", status: 1 });
    expect(l.boards.ep.netdev()).toBeNull();
  });

  it('boot-time parameters a module does not have are logged by both kernels and ignored', () => {
    const l = bootLab({ seed: 8, vntb: { mwSizes: [1 << 20, 1 << 20] }, params: { transport: {}, netdev: { queues: 2 }, unknown: [{ module: 'ntb_netdev', name: 'foo' }, { module: 'ntb_transport', name: 'bar' }] } });
    for (const b of [l.boards.rc, l.boards.ep]) {
      expect(b.kernelLog.map((x) => x.replace(/^\[ *\d+\.\d{6}\] /, ''))).toEqual(["ntb_transport: unknown parameter 'bar' ignored", "ntb_netdev: unknown parameter 'foo' ignored"]);
      expect(b.netdev()?.queues.length).toBe(2);
    }
  });

  it('unknown commands fail with status 127', () => {
    expect(sh(lab, 'ep', 'frobnicate --now')).toEqual({ stdout: '', stderr: 'bash: frobnicate: command not found\n', status: 127 });
  });

  it('a sudo without a command prints sudo\'s usage on stderr and fails with status 1, running nothing', () => {
    const t0 = lab.sim.now;
    for (const line of ['sudo', 'sudo -E', 'sudo -u root --']) {
      const r = sh(lab, 'ep', line);
      expect(r).toMatchObject({ stdout: '', status: 1 });
      expect(r.stderr.split('\n').slice(0, 3)).toEqual(['usage: sudo -h | -K | -k | -V', 'usage: sudo -v [-ABkNnS] [-g group] [-h host] [-p prompt] [-u user]', 'usage: sudo -l [-ABkNnS] [-g group] [-h host] [-p prompt] [-U user] [-u user]']);
    }
    expect(lab.sim.now).toBe(t0);
  });

  it('2>&1 puts standard error into standard output where it was written: iperf3\'s UDP warning before its report', () => {
    const l = bootLab({ seed: 4 });
    sh(l, 'rc', 'iperf3 -s -D');
    const r = sh(l, 'ep', 'iperf3 -u -b 10M -c ${SERVER_IP} -l 65480 -t 1 2>&1');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^warning: UDP block size 65480 exceeds TCP MSS \d+, may result in fragmentation \/ drops\nConnecting to host 10\.0\.0\.1, port 5201\n/);
    expect(sh(l, 'ep', 'iperf3 -u -b 10M -c ${SERVER_IP} -l 65480 -t 1 2>/dev/null').stdout).toMatch(/^Connecting to host/);
    expect(sh(l, 'ep', 'iperf3 -u -b 10M -c ${SERVER_IP} -l 65480 -t 1 2>&1 | head -n 1').stdout).toMatch(/^warning: UDP block size 65480/);
  });

  it('ip addr show ntb0 prints each address with its lifetimes (forever for ip addr add), as iproute2 does', () => {
    const r = sh(lab, 'rc', 'ip addr show ntb0');
    expect(r.stdout).toMatch(/\n {4}inet 10\.0\.0\.1\/24 scope global ntb0\n {7}valid_lft forever preferred_lft forever\n$/);
  });

  it('ip -br addr and ip -br link print iproute2\'s brief lines (name in 16 columns, state in 14, each field followed by a space)', () => {
    expect(sh(lab, 'ep', 'ip -br a').stdout).toBe('lo               UNKNOWN        127.0.0.1/8 \nntb0             UP             10.0.0.2/24 \n');
    expect(sh(lab, 'ep', 'ip -brief link show ntb0').stdout).toMatch(/^ntb0 {13}UP {13}([0-9a-f]{2}:){5}[0-9a-f]{2} <BROADCAST,MULTICAST,UP,LOWER_UP> \n$/);
    expect(sh(lab, 'ep', 'ip -br link show eth9')).toMatchObject({ status: 1, stderr: 'Device "eth9" does not exist.\n' });
  });

  it('lo: ip lists it first (ifindex 1, LOOPBACK, noqueue, state UNKNOWN, 127.0.0.1/8 scope host); a ping or an iperf3 to the board\'s own address or 127.0.0.1 goes through it, not over ntb0', () => {
    const l = bootLab({ seed: 12 });
    const a = sh(l, 'ep', 'ip addr show lo').stdout;
    expect(a).toBe('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n');
    expect(sh(l, 'ep', 'ip link').stdout.split('\n').filter((x) => /^\d+: /.test(x)).map((x) => x.split(':').slice(0, 2).join(':'))).toEqual(['1: lo', '2: ntb0']);
    const ntbTx = l.boards.ep.netdev()?.ndev.stats.txPackets ?? -1;
    expect(sh(l, 'ep', 'ping -c 2 -i 0.2 -q 10.0.0.2').stdout).toContain('2 packets transmitted, 2 received, 0% packet loss');
    expect(sh(l, 'ep', 'ping -c 1 -q 127.0.0.1').stdout).toContain('1 packets transmitted, 1 received, 0% packet loss');
    expect(sh(l, 'ep', 'iperf3 -s -D').status).toBe(0);
    const r = sh(l, 'ep', 'iperf3 -c 127.0.0.1 -t 1 -i 0');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('[  5] local 127.0.0.1 port ');
    expect(r.stdout).toMatch(/ receiver\n/);
    expect(l.boards.ep.netdev()?.ndev.stats.txPackets).toBe(ntbTx);
    expect(l.boards.ep.stack.loopback.stats.txPackets).toBeGreaterThan(100);
    expect(sh(l, 'ep', 'ip route show dev lo').stdout).toBe('');
  });

  it('ip -s -s link adds the RX and TX error rows in the same columns', () => {
    const r = sh(lab, 'ep', 'ip -s -s link show ntb0');
    expect(r.status).toBe(0);
    const rows = r.stdout.split('\n').slice(2);
    expect(rows[0]).toMatch(/^ {4}RX: +bytes packets errors dropped +missed +mcast +$/);
    expect(rows[2]).toBe('    RX errors:  length    crc   frame    fifo overrun');
    expect(rows[3]).toBe('                     0      0       0       0       0 ');
    expect(rows[4]).toMatch(/^ {4}TX: +bytes packets errors dropped carrier collsns +$/);
    // transns: ntb0's carrier changes (down at ndo_open, up at the QP link).
    expect(rows[6]).toBe('    TX errors: aborted   fifo  window heartbt transns');
    expect(rows[7]).toBe('                     0      0       0       0       2 ');
    expect(sh(lab, 'ep', 'ip -s link show ntb0').stdout).not.toContain('errors:');
  });

  it('/sys/class/net/ntb0/carrier_{changes,up_count,down_count} count a PCIe link flap', () => {
    const l = bootLab({ seed: 6 });
    const read = (): string => sh(l, 'rc', 'cat /sys/class/net/ntb0/carrier_changes /sys/class/net/ntb0/carrier_up_count /sys/class/net/ntb0/carrier_down_count').stdout;
    expect(read()).toBe('2\n1\n1\n');
    expect(sh(l, 'rc', 'fault link down').status).toBe(0);
    sh(l, 'rc', 'sleep 0.1');
    expect(sh(l, 'rc', 'fault link up').status).toBe(0);
    sh(l, 'rc', 'sleep 2');
    expect(read()).toBe('4\n2\n2\n');
    expect(sh(l, 'rc', 'ls /sys/class/net/ntb0').stdout).toBe('carrier          carrier_down_count  mtu        queues\ncarrier_changes  carrier_up_count    operstate  statistics\n');
  });

  it('killall and pkill are lab commands (so the interactive lab completes them)', () => {
    expect([...labCommands().keys()]).toEqual(expect.arrayContaining(['killall', 'pkill']));
  });
});

describe('lab scripts', () => {
  it("run the seed's lines verbatim and stop at the first failure with its line number", () => {
    const lab = bootLab({ seed: 2 });
    const out = runScript(lab, ['# seed setup', 'rc$ sudo modprobe ntb_netdev', '', 'ep$ sudo ethtool -l ntb0', 'ep$ sudo ip link set ntb0 mtu 99999', 'ep$ sleep 1'].join('\n'), { name: 'seed.lab', commands: labCommands() });
    expect(out.steps.map((s) => s.line)).toEqual([2, 4, 5]);
    expect(out.status).toBe(2);
    expect(out.error).toBe("seed.lab:5: 'sudo ip link set ntb0 mtu 99999' failed with status 2: Error: mtu greater than device maximum.");
  });

  it('keep going runs every line and reports every failing one with its line number', () => {
    const lab = bootLab({ seed: 2 });
    const out = runScript(lab, 'ep$ nope\n# fine\nep$ sleep 0.1\nrc$ ip link set ntb0 mtu 99999\nep$ cat /nope', { name: 'k.lab', keepGoing: true, commands: labCommands() });
    expect(out.steps.map((s) => s.line)).toEqual([1, 3, 4, 5]);
    expect(out.status).toBe(127);
    expect(out.errors).toEqual([
      "k.lab:1: 'nope' failed with status 127: bash: nope: command not found",
      "k.lab:4: 'ip link set ntb0 mtu 99999' failed with status 2: Error: mtu greater than device maximum.",
      "k.lab:5: 'cat /nope' failed with status 1: cat: /nope: No such file or directory",
    ]);
    expect(out.error).toBe(out.errors[0]);
  });

  it('a script saved with CRLF line endings runs as with LF ones', () => {
    const lab = bootLab({ seed: 2 });
    const text = ['# setup', 'rc$ iperf3 -s -D', '', 'ep$ ip link show ntb0', 'ep$ ip link set ntb0 mtu 99999', ''].join('\r\n');
    const out = runScript(lab, text, { name: 'crlf.lab', keepGoing: true, commands: labCommands() });
    expect(out.steps.map((s) => [s.line, s.board, s.command])).toEqual([
      [2, 'rc', 'iperf3 -s -D'],
      [4, 'ep', 'ip link show ntb0'],
      [5, 'ep', 'ip link set ntb0 mtu 99999'],
    ]);
    expect(out.errors).toEqual(["crlf.lab:5: 'ip link set ntb0 mtu 99999' failed with status 2: Error: mtu greater than device maximum."]);
  });

  it('a malformed line anywhere rejects the whole script before anything runs, naming every such line', () => {
    const lab = bootLab({ seed: 2 });
    const t0 = lab.sim.now;
    const out = runScript(lab, 'ep$ sleep 1\nep$ ip link set ntb0 down\nthis is not a prompt\n\nrc sleep 1', { name: 'm.lab', keepGoing: true, commands: labCommands() });
    expect(out).toEqual({
      steps: [],
      status: 2,
      error: "m.lab:3: expected a line starting with 'rc$' or 'ep$', got 'this is not a prompt'",
      errors: ["m.lab:3: expected a line starting with 'rc$' or 'ep$', got 'this is not a prompt'", "m.lab:5: expected a line starting with 'rc$' or 'ep$', got 'rc sleep 1'"],
    });
    expect({ now: lab.sim.now, up: lab.boards.ep.netdev()?.ndev.isUp }).toEqual({ now: t0, up: true });
  });
});
