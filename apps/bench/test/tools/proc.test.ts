import { describe, expect, it } from 'vitest';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { sh as labSh } from '../labShell.js';

function sh(lab: Lab, line: string) {
  return labSh(lab, 'ep', line);
}

const NTB0 = '/sys/class/net/ntb0';

describe('/sys/class/net/<dev> (net-sysfs)', () => {
  it("lists the modelled attributes of a device's directory", () => {
    const lab = bootLab({ seed: 2 });
    expect(sh(lab, `ls ${NTB0}`)).toEqual({ stdout: 'carrier          carrier_down_count  mtu        queues\ncarrier_changes  carrier_up_count    operstate  statistics\n', stderr: '', status: 0 });
  });

  it('operstate is up, or down without carrier or while down; lo, which never has a carrier event, shows unknown; carrier is EINVAL while the device is down', () => {
    const lab = bootLab({ seed: 2 });
    expect(sh(lab, `cat ${NTB0}/operstate ${NTB0}/carrier /sys/class/net/lo/operstate /sys/class/net/lo/carrier`)).toEqual({ stdout: 'up\n1\nunknown\n1\n', stderr: '', status: 0 });
    expect(sh(lab, 'ip link set ntb0 down').status).toBe(0);
    expect(sh(lab, `cat ${NTB0}/operstate ${NTB0}/carrier`)).toEqual({ stdout: 'down\n', stderr: `cat: ${NTB0}/carrier: Invalid argument\n`, status: 1 });
    // Up again: no carrier until the QP links are up again.
    expect(sh(lab, 'ip link set ntb0 up').status).toBe(0);
    expect(sh(lab, `cat ${NTB0}/operstate ${NTB0}/carrier`).stdout).toBe('down\n0\n');
    expect(sh(lab, 'sleep 1').status).toBe(0);
    expect(sh(lab, `cat ${NTB0}/operstate ${NTB0}/carrier`).stdout).toBe('up\n1\n');
    expect(sh(lab, 'ip link set lo down').status).toBe(0);
    expect(sh(lab, 'cat /sys/class/net/lo/operstate /sys/class/net/lo/carrier')).toEqual({ stdout: 'down\n', stderr: 'cat: /sys/class/net/lo/carrier: Invalid argument\n', status: 1 });
  });

  it('carrier refuses a write (no ndo_change_carrier); operstate and the counters have no write bit, so sysfs refuses the open', () => {
    const lab = bootLab({ seed: 2 });
    for (const v of ['0', '1', 'x']) expect(sh(lab, `echo ${v} > ${NTB0}/carrier`)).toEqual({ stdout: '', stderr: 'bash: echo: write error: Operation not supported\n', status: 1 });
    for (const f of ['operstate', 'carrier_changes', 'statistics/rx_bytes']) expect(sh(lab, `echo 1 > ${NTB0}/${f}`)).toEqual({ stdout: '', stderr: `bash: ${NTB0}/${f}: Permission denied\n`, status: 1 });
    expect(sh(lab, `echo up | sudo tee ${NTB0}/operstate`)).toEqual({ stdout: 'up\n', stderr: `tee: ${NTB0}/operstate: Permission denied\n`, status: 1 });
    expect(lab.boards.ep.netdev()?.ndev.netifCarrierOk()).toBe(true);
  });

  it('mtu takes a write as netdev_store does: kstrtoul base 0, then dev_set_mtu with the value cut to an int', () => {
    const lab = bootLab({ seed: 2 });
    const dev = lab.boards.ep.netdev()?.ndev;
    expect(sh(lab, `echo 9000 > ${NTB0}/mtu`)).toEqual({ stdout: '', stderr: '', status: 0 });
    expect([dev?.mtu, sh(lab, `cat ${NTB0}/mtu`).stdout]).toEqual([9000, '9000\n']);
    expect(sh(lab, `echo 0x5dc > ${NTB0}/mtu`).status).toBe(0);
    expect(dev?.mtu).toBe(1500);
    for (const bad of ['70000', '-1', 'x', '2147483648']) expect([bad, sh(lab, `echo ${bad} > ${NTB0}/mtu`).stderr]).toEqual([bad, 'bash: echo: write error: Invalid argument\n']);
    expect(sh(lab, `echo 18446744073709551616 > ${NTB0}/mtu`).stderr).toBe('bash: echo: write error: Numerical result out of range\n');
    // (int) of 2^32 + 9000 is 9000.
    expect(sh(lab, `echo 4294976296 > ${NTB0}/mtu`).status).toBe(0);
    expect(dev?.mtu).toBe(9000);
  });

  it("a write to a read-only file of the kernel's fails as its filesystem fails it: EIO from procfs, EINVAL from debugfs, EACCES at the open from sysfs", () => {
    const lab = bootLab({ seed: 2 });
    expect(sh(lab, 'echo 1 > /proc/net/dev')).toEqual({ stdout: '', stderr: 'bash: echo: write error: Input/output error\n', status: 1 });
    expect(sh(lab, `echo 1 > /sys/kernel/debug/ntb_transport/${lab.boards.ep.transport()?.dev.name ?? ''}/qp0/stats`)).toEqual({ stdout: '', stderr: 'bash: echo: write error: Invalid argument\n', status: 1 });
    expect(sh(lab, `echo 1 > ${NTB0}/statistics/tx_packets`)).toEqual({ stdout: '', stderr: `bash: ${NTB0}/statistics/tx_packets: Permission denied\n`, status: 1 });
  });
});
