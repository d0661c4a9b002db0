import { describe, expect, it } from 'vitest';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import type { CommandResult } from '../../src/types.js';
import { sh as labSh } from '../labShell.js';

const sh = (lab: Lab, line: string): CommandResult => labSh(lab, 'ep', line);

/** The /proc/sys file of sysctl `name`. */
const file = (name: string): string => `/proc/sys/${name.replaceAll('.', '/')}`;

describe('/proc/sys: the sysctls as files', () => {
  it('every sysctl the board has is a file whose text is `sysctl -n`', () => {
    const lab = bootLab({ seed: 4 });
    expect(sh(lab, 'ls /proc/sys')).toEqual({ stdout: 'net\n', stderr: '', status: 0 });
    expect(sh(lab, 'ls /proc/sys/net').stdout).toBe('core  ipv4\n');
    expect(sh(lab, 'ls -1 /proc/sys/net/ipv4/neigh').stdout).toBe('default\nlo\nntb0\n');
    const names = lab.boards.ep.stack.sysctlNames();
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) expect([name, sh(lab, `cat ${file(name)}`).stdout]).toEqual([name, sh(lab, `sysctl -n ${name}`).stdout]);
    expect(sh(lab, 'cat /proc/sys/net/ipv4/tcp_rmem').stdout).toBe('4096\t131072\t6291456\n');
    expect(sh(lab, 'cat /proc/sys/net.core')).toEqual({ stdout: '', stderr: 'cat: /proc/sys/net.core: No such file or directory\n', status: 1 });
    expect(sh(lab, 'cat /proc/sys/net/core')).toEqual({ stdout: '', stderr: 'cat: /proc/sys/net/core: Is a directory\n', status: 1 });
  });

  it('echo VALUE > the file writes it as `sysctl -w` does, with the same checks and errors', () => {
    const lab = bootLab({ seed: 4 });
    const wmemMax = file('net.core.wmem_max');
    expect(sh(lab, `echo 300000 > ${wmemMax}`)).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, 'sysctl net.core.wmem_max').stdout).toBe('net.core.wmem_max = 300000\n');
    expect(lab.boards.ep.stack.sysctl.wmemMax).toBe(300000);
    // SOCK_MIN_SNDBUF, an empty write: refused by both, the value kept.
    for (const v of ['4000', '', 'lots']) {
      expect(sh(lab, `echo ${v} > ${wmemMax}`)).toEqual({ stdout: '', stderr: 'bash: echo: write error: Invalid argument\n', status: 1 });
      expect(sh(lab, `sysctl -w net.core.wmem_max=${v}`)).toEqual({ stdout: '', stderr: 'sysctl: setting key "net.core.wmem_max": Invalid argument\n', status: 255 });
    }
    expect(sh(lab, `cat ${wmemMax}`).stdout).toBe('300000\n');
    expect(sh(lab, `echo 8192 87380 4194304 > ${file('net.ipv4.tcp_wmem')}`).status).toBe(0);
    expect(sh(lab, 'sysctl -n net.ipv4.tcp_wmem').stdout).toBe('8192\t87380\t4194304\n');
    expect(sh(lab, `echo nope > ${file('net.ipv4.tcp_congestion_control')}`)).toEqual({ stdout: '', stderr: 'bash: echo: write error: No such file or directory\n', status: 1 });
    expect(sh(lab, `echo 0 > ${file('net.ipv4.conf.ntb0.arp_evict_nocarrier')}`).status).toBe(0);
    expect(sh(lab, 'sysctl -n net.ipv4.conf.ntb0.arp_evict_nocarrier').stdout).toBe('0\n');
    expect(sh(lab, `echo 1 | sudo tee ${file('net.core.somaxconn')}`)).toEqual({ stdout: '1\n', stderr: '', status: 0 });
    expect(lab.boards.ep.stack.sysctl.somaxconn).toBe(1);
  });

  it('a read-only sysctl cannot be opened for writing, even by root (proc_sys_permission)', () => {
    const lab = bootLab({ seed: 4 });
    const path = file('net.ipv4.tcp_available_congestion_control');
    expect(sh(lab, `echo cubic > ${path}`)).toEqual({ stdout: '', stderr: `bash: ${path}: Permission denied\n`, status: 1 });
    expect(sh(lab, `echo cubic | sudo tee ${path}`)).toEqual({ stdout: 'cubic\n', stderr: `tee: ${path}: Permission denied\n`, status: 1 });
    expect(sh(lab, 'sysctl -w net.ipv4.tcp_available_congestion_control=cubic')).toEqual({ stdout: '', stderr: "sysctl: permission denied on key 'net.ipv4.tcp_available_congestion_control'\n", status: 255 });
  });

  it("a device's ARP sysctls come and go with the device", () => {
    const lab = bootLab({ seed: 4 });
    const retrans = file('net.ipv4.neigh.ntb0.retrans_time_ms');
    expect(sh(lab, `cat ${retrans}`).stdout).toBe('1000\n');
    expect(sh(lab, 'rmmod ntb_netdev').status).toBe(0);
    expect(sh(lab, `cat ${retrans}`)).toEqual({ stdout: '', stderr: `cat: ${retrans}: No such file or directory\n`, status: 1 });
    expect(sh(lab, 'ls /proc/sys/net/ipv4/neigh').stdout).toBe('default  lo\n');
  });
});
