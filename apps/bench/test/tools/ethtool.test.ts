/**
 * `ethtool` in the lab over every device of the board: `lo` (loopback_ethtool_ops: get_link and
 * get_ts_info) as the real tool sees it, the netlink wildcard dumps (`-l '*'`, `ethtool '*'`)
 * walking the board's devices by ifindex, and the query options (-k/-K, -g/-G, -c/-C, -a, -T,
 * -P, -x, -d, -e) on the real ntb_netdev, as ethtool 6.1 on Linux 6.18 prints them.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { ethtoolDevices } from '../../src/tools/ethtool.js';
import type { CommandResult } from '../../src/types.js';
import { sh as labSh } from '../labShell.js';

const NTB_CHANNELS =
  'Channel parameters for ntb0:\nPre-set maximums:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t64\n' +
  'Current hardware settings:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t1\n';

const NTB_LINKMODES =
  'Settings for ntb0:\n\tSupported ports: [ Backplane ]\n\tSupported link modes:   Not reported\n' +
  '\tSupported pause frame use: No\n\tSupports auto-negotiation: No\n\tSupported FEC modes: Not reported\n' +
  '\tAdvertised link modes:  Not reported\n\tAdvertised pause frame use: No\n\tAdvertised auto-negotiation: No\n' +
  '\tAdvertised FEC modes: Not reported\n\tSpeed: Unknown!\n\tDuplex: Full\n\tAuto-negotiation: on\n';
const NTB_LINKINFO = 'Settings for ntb0:\n\tPort: Other\n\tPHYAD: 0\n\tTransceiver: internal\n';

let lab: Lab;
const sh = (line: string): CommandResult => labSh(lab, 'ep', line);
const ok = (stdout: string): CommandResult => ({ stdout, stderr: '', status: 0 });

beforeEach(() => {
  lab = bootLab({ seed: 11, vntb: { mwSizes: [1 << 20, 1 << 20] } });
});

describe('ethtool on lo (loopback_ethtool_ops: get_link, get_ts_info)', () => {
  it('shows the link state only, following the device up or down', () => {
    expect(sh('ethtool lo')).toEqual(ok('Settings for lo:\n\tLink detected: yes\n'));
    expect(sh('ip link set lo down').status).toBe(0);
    expect(sh('ethtool lo')).toEqual(ok('Settings for lo:\n\tLink detected: no\n'));
  });

  it('has no channels (-l, -L: -EOPNOTSUPP), driver information (-i: exit 71) or statistics (-S: exit 94)', () => {
    const eopnotsupp = { stdout: '', stderr: 'netlink error: Operation not supported\n', status: 1 };
    expect(sh('ethtool -l lo')).toEqual(eopnotsupp);
    expect(sh('ethtool -L lo combined 2')).toEqual(eopnotsupp);
    expect(sh('ethtool -i lo')).toEqual({ stdout: '', stderr: 'Cannot get driver information: Operation not supported\n', status: 71 });
    expect(sh('ethtool -S lo')).toEqual({ stdout: '', stderr: 'no stats available\n', status: 94 });
  });

  it('can be monitored like any device', () => {
    expect(sh('ethtool --monitor -l lo')).toEqual(ok('listening...\n'));
  });
});

describe('wildcard dumps over the board devices', () => {
  it('lists lo then ntb0, by ifindex', () => {
    expect([...ethtoolDevices(lab.boards.ep).keys()]).toEqual(['lo', 'ntb0']);
    expect([...ethtoolDevices(lab.boards.rc).keys()]).toEqual(['lo', 'ntb0']);
  });

  it("ethtool -l '*' prints ntb0's block after a blank line and skips lo (-EOPNOTSUPP in a dump)", () => {
    expect(sh("ethtool -l '*'")).toEqual(ok(`\n${NTB_CHANNELS}`));
    expect(sh('ethtool -l ntb0')).toEqual(ok(NTB_CHANNELS));
    expect(sh('ethtool -L ntb0 combined 2').status).toBe(0);
    expect(sh("ethtool -l '*'").stdout).toBe(`\n${NTB_CHANNELS.replace('Combined:\t1\n', 'Combined:\t2\n')}`);
  });

  it("ethtool '*' prints one banner per reply, request by request (LINKMODES, LINKINFO, then LINKSTATE of lo and ntb0)", () => {
    expect(sh("ethtool '*'")).toEqual(ok(`${NTB_LINKMODES}${NTB_LINKINFO}Settings for lo:\n\tLink detected: yes\nSettings for ntb0:\n\tLink detected: yes\n`));
    expect(sh('ethtool ntb0')).toEqual(ok(`${NTB_LINKMODES}\tPort: Other\n\tPHYAD: 0\n\tTransceiver: internal\n\tLink detected: yes\n`));
  });

  it('without ntb_netdev, the dumps see lo only and ntb0 is gone', () => {
    expect(sh('rmmod ntb_netdev').status).toBe(0);
    expect([...ethtoolDevices(lab.boards.ep).keys()]).toEqual(['lo']);
    expect(sh("ethtool -l '*'")).toEqual(ok(''));
    expect(sh("ethtool '*'")).toEqual(ok('Settings for lo:\n\tLink detected: yes\n'));
    expect(sh('ethtool -l ntb0')).toEqual({ stdout: '', stderr: 'netlink error: no device matches name (offset 24)\nnetlink error: No such device\n', status: 1 });
  });

  it('the ioctl-only and set subcommands refuse the wildcard as ethtool 6.1 does', () => {
    expect(sh("ethtool -i '*'")).toEqual({ stdout: '', stderr: 'ethtool netlink support for subcommand missing, wildcard dump not supported\n', status: 1 });
    expect(sh("ethtool -S '*'")).toEqual({ stdout: '', stderr: 'ioctl-only request, wildcard dump not supported\n', status: 1 });
    expect(sh("ethtool -L '*' combined 2")).toEqual({ stdout: '', stderr: 'subcommand does not support wildcard dump\n', status: 1 });
  });
});

describe('the ethtool 6.1 query options on ntb0 (ntb_netdev against Linux 6.18)', () => {
  const EOPNOTSUPP = 'netlink error: Operation not supported\n';
  /** The lines of `ethtool -k DEV` that are not `[fixed]`, in order. */
  const changeable = (out: string): string[] => out.split('\n').filter((l) => l !== '' && !l.endsWith(' [fixed]'));
  const NTB0_CHANGEABLE = [
    'Features for ntb0:',
    'tx-checksumming: off',
    'scatter-gather: off',
    'tcp-segmentation-offload: off',
    'generic-segmentation-offload: off [requested on]',
    'generic-receive-offload: on',
    'highdma: on',
    'tx-nocache-copy: off',
    'rx-gro-list: off',
    'rx-udp-gro-forwarding: off',
  ];

  it("-k: ntb_netdev_probe's HIGHDMA and register_netdevice's software features on both boards, every other feature off and fixed", () => {
    for (const board of ['ep', 'rc'] as const) {
      const r = labSh(lab, board, 'ethtool -k ntb0');
      expect(r.status).toBe(0);
      expect(changeable(r.stdout)).toEqual(NTB0_CHANGEABLE);
      const fixed = r.stdout.split('\n').filter((l) => l.endsWith(' [fixed]'));
      expect(fixed).toHaveLength(54);
      expect(fixed.every((l) => l.endsWith(': off [fixed]'))).toBe(true);
    }
  });

  it('-K highdma off: silent, shown by -k, kept across down/up and ethtool -L, gone with the device (rmmod/modprobe)', () => {
    expect(sh('ethtool -K ntb0 highdma off')).toEqual(ok(''));
    const off = NTB0_CHANGEABLE.map((l) => (l === 'highdma: on' ? 'highdma: off' : l));
    expect(changeable(sh('ethtool -k ntb0').stdout)).toEqual(off);
    expect(sh('ip link set ntb0 down').status).toBe(0);
    expect(sh('ip link set ntb0 up').status).toBe(0);
    expect(sh('ethtool -L ntb0 combined 2').status).toBe(0);
    expect(changeable(sh('ethtool -k ntb0').stdout)).toEqual(off);
    expect(changeable(labSh(lab, 'rc', 'ethtool -k ntb0').stdout)).toEqual(NTB0_CHANGEABLE);
    expect(sh('rmmod ntb_netdev').status).toBe(0);
    expect(sh('modprobe ntb_netdev').status).toBe(0);
    expect(changeable(sh('ethtool -k ntb0').stdout)).toEqual(NTB0_CHANGEABLE);
  });

  it('-K of a fixed feature or of GSO (no SG) fails as ethtool 6.1 reports it, changing nothing', () => {
    const before = sh('ethtool -k ntb0').stdout;
    expect(sh('ethtool -K ntb0 sg on')).toEqual({
      stdout: 'Actual changes:\ntx-scatter-gather: off [requested on]\ntx-scatter-gather-fraglist: off [requested on]\n',
      stderr: 'Could not change any device features\n',
      status: 1,
    });
    expect(sh('ethtool -K ntb0 gso on')).toEqual({
      stdout: 'Actual changes:\ntx-generic-segmentation: off [requested on]\n',
      stderr: 'Could not change any device features\n',
      status: 1,
    });
    expect(sh('ethtool -K ntb0 no-such-feature on')).toEqual({
      stdout: '',
      stderr: `netlink error: bit name not found (offset 56)\n${EOPNOTSUPP}`,
      status: 92,
    });
    expect(sh('ethtool -k ntb0').stdout).toBe(before);
  });

  it('a --monitor -k on the board prints the features when a -K changed them, and nothing for one that did not', () => {
    expect(sh('ethtool --monitor -k ntb0')).toEqual(ok('listening...\n'));
    expect(sh('ethtool -K ntb0 gso on').stdout).toBe('Actual changes:\ntx-generic-segmentation: off [requested on]\n');
    const r = sh('ethtool -K ntb0 gro off');
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('\nFeatures for ntb0:\n')).toBe(true);
    expect(changeable(r.stdout)).toEqual(NTB0_CHANGEABLE.map((l) => (l === 'generic-receive-offload: on' ? 'generic-receive-offload: off' : l)));
    expect(sh('ethtool -T ntb0').stdout.startsWith('Time stamping parameters for ntb0:\n')).toBe(true);
  });

  it('-g, -G, -c, -C, -a: ntb_netdev has no ring, coalescing or pause ops', () => {
    expect(sh('ethtool -g ntb0')).toEqual({ stdout: '', stderr: EOPNOTSUPP, status: 1 });
    expect(sh('ethtool -G ntb0 rx 100')).toEqual({ stdout: '', stderr: EOPNOTSUPP, status: 81 });
    expect(sh('ethtool -G ntb0 rx-buf-len 4096')).toEqual({ stdout: '', stderr: `netlink error: setting rx buf len not supported (offset 36)\n${EOPNOTSUPP}`, status: 81 });
    expect(sh('ethtool -c ntb0')).toEqual({ stdout: '', stderr: EOPNOTSUPP, status: 1 });
    expect(sh('ethtool -C ntb0 rx-usecs 50')).toEqual({ stdout: '', stderr: EOPNOTSUPP, status: 1 });
    expect(sh('ethtool -a ntb0')).toEqual({ stdout: '', stderr: EOPNOTSUPP, status: 1 });
    expect(sh("ethtool -g '*'")).toEqual(ok(''));
  });

  it('-T: the software time stamps the core gives ntb0, and lo its own get_ts_info as well', () => {
    const tail = 'PTP Hardware Clock: none\nHardware Transmit Timestamp Modes: none\nHardware Receive Filter Modes: none\n';
    expect(sh('ethtool -T ntb0')).toEqual(ok(`Time stamping parameters for ntb0:\nCapabilities:\n\tsoftware-receive\n\tsoftware-system-clock\n${tail}`));
    expect(sh('ethtool -T lo')).toEqual(ok(`Time stamping parameters for lo:\nCapabilities:\n\tsoftware-transmit\n\tsoftware-receive\n\tsoftware-system-clock\n${tail}`));
  });

  it("-P: ntb0's random address is its permanent one (the MAC ip link shows); lo has none", () => {
    const mac = /link\/ether ([0-9a-f:]{17}) /.exec(sh('ip link show ntb0').stdout)?.[1];
    expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(sh('ethtool -P ntb0')).toEqual(ok(`Permanent address: ${mac ?? ''}\n`));
    expect(sh('ethtool -P lo')).toEqual(ok('Permanent address: not set\n'));
    expect(sh("ethtool -P '*'")).toEqual(ok(`Permanent address of ntb0: ${mac ?? ''}\n`));
  });

  it('-x, -d, -e: no RX flow hashing, register or EEPROM ops (the driver information first for -d, -e)', () => {
    expect(sh('ethtool -x ntb0')).toEqual({ stdout: '', stderr: 'Cannot get RX ring count: Operation not supported\n', status: 1 });
    expect(sh('ethtool -d ntb0')).toEqual({ stdout: '', stderr: 'Cannot get register dump: Operation not supported\n', status: 74 });
    expect(sh('ethtool -e ntb0')).toEqual({ stdout: '', stderr: 'Cannot get EEPROM data: Operation not supported\n', status: 74 });
    expect(sh('ethtool -d lo')).toEqual({ stdout: '', stderr: 'Cannot get driver information: Operation not supported\n', status: 72 });
  });

  it('keeps refusing the ethtool 6.1 options the model does not implement', () => {
    expect(sh('ethtool --show-eee ntb0')).toEqual({
      stdout: '',
      stderr:
        'ethtool: --show-eee is an ethtool 6.1 option this model does not implement ' +
        '(it has DEV, -a, -c, -C, -g, -G, -k, -K, -i, -d, -e, -S, -n, -T, -x, -P, -l, -L, -h, --version and --monitor)\n',
      status: 1,
    });
  });
});
