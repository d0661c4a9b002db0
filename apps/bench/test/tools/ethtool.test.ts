/**
 * `ethtool` in the lab over every device of the board: `lo` (loopback_ethtool_ops: get_link only)
 * as the real tool sees it, and the netlink wildcard dumps (`-l '*'`, `ethtool '*'`) walking the
 * board's devices by ifindex, as ethtool 6.1 on a 6.x kernel prints them.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { labCommands } from '../../src/commands.js';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { defaultVars } from '../../src/lab/script.js';
import { runLine } from '../../src/lab/shell.js';
import { ethtoolDevices } from '../../src/tools/ethtool.js';
import type { CommandResult } from '../../src/types.js';

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
const sh = (line: string): CommandResult => runLine(line, { lab, board: lab.boards.ep, vars: defaultVars(lab, lab.boards.ep) }, labCommands());
const ok = (stdout: string): CommandResult => ({ stdout, stderr: '', status: 0 });

beforeEach(() => {
  lab = bootLab({ seed: 11, vntb: { mwSizes: [1 << 20, 1 << 20] } });
});

describe('ethtool on lo (loopback_ethtool_ops: get_link only)', () => {
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
