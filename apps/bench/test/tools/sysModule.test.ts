import { describe, expect, it } from 'vitest';
import { bootLab, type Lab, type LabOptions } from '../../src/lab/lab.js';
import type { CommandResult } from '../../src/types.js';
import { sh as labSh } from '../labShell.js';

const sh = (lab: Lab, line: string): CommandResult => labSh(lab, 'rc', line);

const PARAMS = '/sys/module/ntb_transport/parameters';
const WRITE = (why: string): { stdout: string; stderr: string; status: number } => ({ stdout: '', stderr: `bash: echo: write error: ${why}\n`, status: 1 });

/** A lab whose boards have two memory windows (two QPs) and these module parameters. */
function lab(params: LabOptions['params'] = { transport: {}, netdev: {} }): Lab {
  return bootLab({ seed: 9, vntb: { mwSizes: [1 << 20, 1 << 20] }, params });
}

describe('/sys/module/<module>/parameters (kernel/params.c)', () => {
  it("lists the loaded modules with parameters, and ntb_transport's module_params as param_get_* prints them", () => {
    const l = lab();
    expect(sh(l, 'ls /sys/module')).toEqual({ stdout: 'ntb_netdev  ntb_transport\n', stderr: '', status: 0 });
    expect(sh(l, 'ls /sys/module/ntb_transport').stdout).toBe('parameters\n');
    expect(sh(l, `grep -H . ${PARAMS}/*`).stdout).toBe(
      [
        'copy_bytes:1024',
        'max_mw_size:0',
        'max_num_clients:0',
        'num_rx_dma_chan:1',
        'num_tx_dma_chan:1',
        'transport_mtu:65536',
        'tx_memcpy_offload:N',
        'use_dma:N',
        'use_msi:N',
        'use_rx_dma:N',
        'use_tx_dma:N',
      ]
        .map((line) => `${PARAMS}/${line}\n`)
        .join(''),
    );
    expect(sh(l, 'cat /sys/module/ntb_netdev/parameters/ntb_num_queues').stdout).toBe('1\n');
    // The model's own switches are no kernel parameters.
    expect(sh(l, `cat ${PARAMS}/flush_done_flag`)).toEqual({ stdout: '', stderr: `cat: ${PARAMS}/flush_done_flag: No such file or directory\n`, status: 1 });
  });

  it('shows the values the modules were loaded with; use_dma set use_tx_dma and use_rx_dma when the queues were created', () => {
    const l = lab({ transport: { useDma: true, copyBytes: 2048, maxMwSize: 1 << 19, txMemcpyOffload: true }, netdev: { queues: 2 } });
    expect(sh(l, `cat ${PARAMS}/use_dma ${PARAMS}/use_tx_dma ${PARAMS}/use_rx_dma ${PARAMS}/copy_bytes ${PARAMS}/max_mw_size ${PARAMS}/tx_memcpy_offload`).stdout).toBe('Y\nY\nY\n2048\n524288\nY\n');
    expect(sh(l, 'cat /sys/module/ntb_netdev/parameters/ntb_num_queues').stdout).toBe('2\n');
  });

  it("a write is param_set's parse, then modprobe's bounds; it takes effect where the transport reads the parameter: copy_bytes at the next frame", () => {
    const l = lab({ transport: { useDma: true }, netdev: {} });
    const qp = l.boards.rc.transport()?.qps[0];
    expect(sh(l, 'ping -c 1 -s 2000 10.0.0.2').status).toBe(0);
    const async = qp?.stats.txAsync ?? 0;
    expect(async).toBeGreaterThan(0);
    expect(sh(l, `echo 100000 > ${PARAMS}/copy_bytes`)).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(l.boards.rc.transport()?.params.copyBytes).toBe(100000);
    expect(sh(l, 'ping -c 2 -s 2000 10.0.0.2').status).toBe(0);
    expect(qp?.stats.txAsync).toBe(async);
    expect(sh(l, `cat ${PARAMS}/copy_bytes`).stdout).toBe('100000\n');
    // kstrtouint base 0, kstrtobool's first letters.
    expect(sh(l, `echo 0x800 > ${PARAMS}/copy_bytes`).status).toBe(0);
    expect(sh(l, `echo off > ${PARAMS}/tx_memcpy_offload`).status).toBe(0);
    expect(sh(l, `echo yes > ${PARAMS}/use_msi`)).toEqual(WRITE('Operation not permitted'));
    expect(sh(l, `cat ${PARAMS}/copy_bytes ${PARAMS}/tx_memcpy_offload`).stdout).toBe('2048\nN\n');
    expect(sh(l, `echo 0x100000000 > ${PARAMS}/copy_bytes`)).toEqual(WRITE('Numerical result out of range'));
    expect(sh(l, `echo -1 > ${PARAMS}/copy_bytes`)).toEqual(WRITE('Invalid argument'));
    expect(sh(l, `echo maybe > ${PARAMS}/use_dma`)).toEqual(WRITE('Invalid argument'));
    expect(sh(l, `echo 12 > ${PARAMS}/transport_mtu`)).toEqual(WRITE('Invalid argument'));
    expect(sh(l, `echo 100 > ${PARAMS}/max_mw_size`)).toEqual(WRITE('Invalid argument'));
    expect(sh(l, `cat ${PARAMS}/transport_mtu ${PARAMS}/max_mw_size`).stdout).toBe('65536\n0\n');
  });

  it('the DMA parameters are read when a queue is created: ethtool -L takes a new QP with them', () => {
    const l = lab();
    expect(sh(l, `echo 1 > ${PARAMS}/use_rx_dma`).status).toBe(0);
    expect(sh(l, 'ethtool -L ntb0 combined 2').status).toBe(0);
    const qps = l.boards.rc.transport()?.qps ?? [];
    expect(qps.map((q) => [q.txDma.chans.length, q.rxDma.chans.length > 0])).toEqual([
      [0, false],
      [0, true],
    ]);
  });

  it('the parameters read only at probe refuse a write with EPERM, whatever the value: max_num_clients, use_msi, ntb_num_queues', () => {
    const l = lab();
    for (const f of [`${PARAMS}/max_num_clients`, `${PARAMS}/use_msi`, '/sys/module/ntb_netdev/parameters/ntb_num_queues']) {
      for (const v of ['1', 'junk']) expect([f, sh(l, `echo ${v} > ${f}`)]).toEqual([f, WRITE('Operation not permitted')]);
    }
    expect(sh(l, `echo 2 | sudo tee ${PARAMS}/max_num_clients`)).toEqual({ stdout: '2\n', stderr: `tee: ${PARAMS}/max_num_clients: Operation not permitted\n`, status: 1 });
    expect(sh(l, `cat ${PARAMS}/max_num_clients ${PARAMS}/use_msi`).stdout).toBe('0\nN\n');
  });

  it('exists while the module is loaded: rmmod takes it away, modprobe brings it back with the parameters given', () => {
    const l = lab();
    expect(sh(l, 'rmmod ntb_netdev').status).toBe(0);
    expect(sh(l, 'ls /sys/module').stdout).toBe('ntb_transport\n');
    expect(sh(l, 'cat /sys/module/ntb_netdev/parameters/ntb_num_queues')).toEqual({ stdout: '', stderr: 'cat: /sys/module/ntb_netdev/parameters/ntb_num_queues: No such file or directory\n', status: 1 });
    expect(sh(l, 'rmmod ntb_transport').status).toBe(0);
    expect(sh(l, 'ls /sys/module')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(l, 'modprobe ntb_transport copy_bytes=256').status).toBe(0);
    expect(sh(l, `cat ${PARAMS}/copy_bytes`).stdout).toBe('256\n');
    expect(sh(l, 'modprobe ntb_netdev ntb_num_queues=2 variant=baseline').status).toBe(0);
    // The single-queue driver has no module parameters.
    expect(sh(l, 'ls /sys/module/ntb_netdev')).toEqual({ stdout: '', stderr: '', status: 0 });
  });
});
