/**
 * Replays the captured real-ethtool sessions (test/fixtures, copied from
 * shared/reference/samples, and captured with ethtool 6.1 on Linux 6.18) against fake devices
 * configured like the capture machine's, or against net-core's own lo, and checks every byte of
 * output and every exit status.
 */
import { readFileSync } from 'node:fs';
import { createHost, createSimulation, getProfile } from '@ntbsim/kernel';
import { createNetStack } from '@ntbsim/net-core';
import { describe, expect, it } from 'vitest';
import { createEthtoolNotifier, netdevEthtoolDevice, runEthtool, type EthtoolDevice, type EthtoolEnv } from '../../src/index.js';
import { combinedOnly, fakeDevice, rxTxOnly } from '../fakeDevice.js';

interface SampleBlock {
  readonly cmd: string;
  readonly output: string;
  readonly exit: number | undefined;
}

/** Split a sample file into "$ command" blocks: the printed text and the "[exit N]" status. */
function sampleBlocks(file: string): SampleBlock[] {
  const text = readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8');
  const blocks: { cmd: string; lines: string[]; exit: number | undefined }[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('$ ')) {
      blocks.push({ cmd: line.slice(2), lines: [], exit: undefined });
      continue;
    }
    const cur = blocks.at(-1);
    if (line.startsWith('# ') || cur === undefined) continue;
    const m = /^\[exit (\d+)\]$/.exec(line);
    if (m !== null) cur.exit = Number(m[1]);
    else if (cur.exit === undefined && line !== '') cur.lines.push(line);
  }
  return blocks.map((b) => ({ cmd: b.cmd, output: b.lines.map((l) => `${l}\n`).join(''), exit: b.exit }));
}

function envOf(...devs: EthtoolDevice[]): EthtoolEnv {
  return { devices: new Map(devs.map((d) => [d.name, d])), notifier: createEthtoolNotifier() };
}

const VETH_STATS: readonly (readonly [string, number])[] = [
  ['peer_ifindex', 2],
  ...[0, 1].flatMap((q) =>
    ['xdp_packets', 'xdp_bytes', 'drops', 'xdp_redirect', 'xdp_drops', 'xdp_tx', 'xdp_tx_errors'].map(
      (s) => [`rx_queue_${q}_${s}`, 0] as const,
    ),
  ),
  ...['xdp_packets', 'xdp_bytes', 'drops', 'xdp_redirect'].map((s) => [`rx_queue_2_${s}`, 0] as const),
];

describe('ethtool-veth.txt (veth pair, netlink path)', () => {
  const blocks = sampleBlocks('ethtool-veth.txt');
  const veth = fakeDevice({
    name: 'veth0',
    channels: rxTxOnly(8, 8, 8),
    drvinfo: { driver: 'veth', version: '1.0' },
    stats: VETH_STATS,
  });
  const env = envOf(veth);
  const argvs: readonly string[][] = [
    ['-l', 'veth0'],
    ['-L', 'veth0', 'combined', '2'],
    ['-L', 'veth0', 'combined', '2'],
    ['-L', 'veth0', 'combined', '65'],
    ['-L', 'veth0', 'combined', '0'],
    ['-L', 'veth0', 'combined', 'x'],
    ['-l', 'veth0'],
    ['-i', 'veth0'],
    ['-S', 'veth0'],
    ['--frobnicate', 'veth0'],
    ['-l', 'nosuchdev'],
    ['-L', 'veth0', 'rx', '2', 'tx', '2'],
    ['-l', 'veth0'],
    ['-L', 'veth0', 'rx', '2', 'tx', '2'],
    ['-L', 'veth0', 'rx', '9'],
  ];

  it('has the blocks this replay expects', () => {
    expect(blocks.map((b) => b.cmd.split(/\s{2,}|\s\(/)[0])).toEqual(argvs.map((a) => `ethtool ${a.join(' ')}`));
  });

  it('prints every block byte for byte, with the same exit status, in sequence', () => {
    blocks.forEach((block, i) => {
      const argv = argvs[i] ?? [];
      const r = runEthtool(argv, env);
      expect({ cmd: block.cmd, out: r.stdout + r.stderr, exit: r.exitCode }).toEqual({
        cmd: block.cmd,
        out: block.output,
        exit: block.exit ?? 0,
      });
    });
    expect(veth.channels).toEqual(rxTxOnly(8, 2, 2));
  });
});

describe('ethtool-combined-only.txt (virtio_net with one queue pair, ifb without channel ops)', () => {
  const blocks = sampleBlocks('ethtool-combined-only.txt');
  const eth0 = fakeDevice({
    name: 'eth0',
    channels: combinedOnly(1, 1),
    drvinfo: { driver: 'virtio_net', version: '1.0.0', busInfo: '0000:00:01.0' },
    stats: [['rx_queue_0_packets', 0]],
  });
  const ifb0 = fakeDevice({ name: 'ifb0', linkKind: 'ifb' });
  const env = envOf(eth0, ifb0);
  const argvs: readonly string[][] = [
    ['-l', 'eth0'],
    ['-i', 'eth0'],
    ['-l', 'ifb0'],
  ];

  it('prints every block byte for byte, with the same exit status', () => {
    expect(blocks).toHaveLength(argvs.length);
    blocks.forEach((block, i) => {
      const r = runEthtool(argvs[i] ?? [], env);
      expect({ cmd: block.cmd, out: r.stdout + r.stderr }).toEqual({ cmd: block.cmd, out: block.output });
      expect(r.exitCode).toBe(block.exit ?? 0);
    });
  });

  it('sends the combined-only block to stdout and the ifb error to stderr', () => {
    expect(runEthtool(['-l', 'eth0'], env).stderr).toBe('');
    const r = runEthtool(['-l', 'ifb0'], env);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('netlink error: Operation not supported\n');
  });
});

/** The argv of a block's command line ("ethtool -K lo gro off", quotes removed). */
function argvOf(cmd: string): string[] {
  return cmd
    .split(' ')
    .slice(1)
    .map((a) => a.replace(/^'(.*)'$/, '$1'));
}

/** Replay every block of `file` in order against `env`; returns the commands replayed. */
function replay(file: string, env: EthtoolEnv): string[] {
  const blocks = sampleBlocks(file);
  for (const block of blocks) {
    const r = runEthtool(argvOf(block.cmd), env);
    expect({ cmd: block.cmd, out: r.stdout + r.stderr, exit: r.exitCode }).toEqual({ cmd: block.cmd, out: block.output, exit: block.exit ?? 0 });
  }
  return blocks.map((b) => b.cmd);
}

/** A fresh host's lo (net-core's loopback device, with its features and loopback_ethtool_ops). */
function freshLo(): EthtoolDevice {
  const host = createHost(createSimulation({ seed: 1 }), { name: 'h', profile: getProfile('rcar-s4') });
  return netdevEthtoolDevice(createNetStack(host).loopback);
}

describe('ethtool-lo.txt (lo on Linux 6.18, netlink path)', () => {
  it('prints every block of -k, -K, -g, -G, -c, -C, -T, -a, -P, -x, -d, -e byte for byte, with the same exit status, in sequence', () => {
    const cmds = replay('ethtool-lo.txt', envOf(freshLo()));
    expect(cmds).toHaveLength(38);
    expect(new Set(cmds.map((c) => argvOf(c).find((a) => a.startsWith('-') && a !== '--json')))).toEqual(
      new Set(['-k', '-K', '-g', '-G', '-c', '-C', '-T', '-a', '-P', '-x', '-d', '-e']),
    );
  });
});

describe('ethtool-lo-ioctl.txt (lo on Linux 6.18, SIOCETHTOOL only)', () => {
  it('prints every block byte for byte, with the same exit status, in sequence', () => {
    expect(replay('ethtool-lo-ioctl.txt', { ...envOf(freshLo()), path: 'ioctl' })).toHaveLength(27);
  });
});

describe('ethtool-lo-edges.txt and ethtool-lo-edges-ioctl.txt (lo on Linux 6.18: the corners of -K and the parsers)', () => {
  it('netlink: a bit named on and off stays on, "--" ends -K, the long option names, the parsers\' complaints', () => {
    expect(replay('ethtool-lo-edges.txt', envOf(freshLo()))).toHaveLength(51);
  });

  it('ioctl: CMDL_FLAG keeps an "on", parse_generic_cmdline takes any C base and repeats, exit_bad_args for the rest', () => {
    expect(replay('ethtool-lo-edges-ioctl.txt', { ...envOf(freshLo()), path: 'ioctl' })).toHaveLength(51);
  });
});

describe('ethtool-ifb.txt and ethtool-ifb-ioctl.txt (ifb0: no ethtool ops beyond statistics; eth0: a permanent address)', () => {
  const ifb0 = fakeDevice({ name: 'ifb0', linkKind: 'ifb' });
  const eth0 = fakeDevice({
    name: 'eth0',
    drvinfo: { driver: 'virtio_net', version: '1.0.0', busInfo: '0000:00:03.0' },
    permAddr: Uint8Array.from([0x02, 0xfc, 0, 0, 0, 1]),
    tsInfo: { soTimestamping: ['software-transmit'], phcIndex: -1 },
  });

  it("netlink: the core's software time stamps for a driver without get_ts_info, each missing op's error, the permanent address", () => {
    expect(replay('ethtool-ifb.txt', envOf(eth0, ifb0))).toHaveLength(12);
  });

  it('ioctl: the same, with the ioctl layouts and exit codes', () => {
    expect(replay('ethtool-ifb-ioctl.txt', { ...envOf(eth0, ifb0), path: 'ioctl' })).toHaveLength(11);
  });
});
