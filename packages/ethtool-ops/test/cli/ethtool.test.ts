import { readFileSync } from 'node:fs';
import { ERRNO } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { EthtoolError, runEthtool, type EthtoolChannels, type EthtoolDevice, type EthtoolDrvinfoFill, type EthtoolEnv, type EthtoolLinkKsettings, type EthtoolStringSet } from '../../src/index.js';
import { combinedOnly, fakeDevice, NTB_KSETTINGS, VETH_KSETTINGS } from '../fakeDevice.js';

const BAD = 'ethtool: bad command line argument(s)\nFor more information run ethtool -h\n';

const ntb = fakeDevice({
  name: 'ntb0',
  channels: combinedOnly(64, 1),
  drvinfo: { driver: 'ntb_netdev', version: '0.7', busInfo: '0000:01:00.0' },
  ksettings: NTB_KSETTINGS,
});
const veth = fakeDevice({ name: 'veth0', drvinfo: { driver: 'veth', version: '1.0' }, ksettings: VETH_KSETTINGS });
const E1000_KSETTINGS: EthtoolLinkKsettings = {
  speed: 1000,
  duplex: 'full',
  port: 'tp',
  phyAddress: 1,
  autoneg: true,
  supported: ['10baseT/Half', '10baseT/Full', '100baseT/Half', '100baseT/Full', '1000baseT/Full', 'Autoneg', 'TP', 'Pause'],
  advertising: ['10baseT/Half', '10baseT/Full', '100baseT/Half', '100baseT/Full', '1000baseT/Full', 'Autoneg', 'TP', 'Pause', 'Asym_Pause'],
  ethTpMdix: 'mdi',
  ethTpMdixCtrl: 'auto',
};
const eth0 = fakeDevice({ name: 'eth0', ksettings: E1000_KSETTINGS, carrier: false });
const nolink: EthtoolDevice = { name: 'dummy0', ethtoolOps: {}, isUp: true, realNumRxQueues: 1, realNumTxQueues: 1 };
const devices = new Map<string, EthtoolDevice>([ntb, veth, eth0, nolink].map((d) => [d.name, d]));
const nl: EthtoolEnv = { devices };
const io: EthtoolEnv = { devices, path: 'ioctl' };

describe('command line handling (ethtool.c main)', () => {
  it('rejects no arguments, an unknown option, a missing device and --json', () => {
    for (const argv of [[], ['--frobnicate', 'veth0'], ['-l'], ['--json', '-l', 'ntb0'], ['--json', '-S', 'ntb0'], ['--debug'], ['--debug', 'x', '-l', 'ntb0']]) {
      expect({ argv, r: runEthtool(argv, nl) }).toEqual({ argv, r: { stdout: '', stderr: BAD, exitCode: 1 } });
    }
  });

  it('refuses an ethtool 6.1 option the model does not implement as such, not as a bad command line', () => {
    for (const opt of ['-A', '--pause', '-s', '--show-fec', '-X', '--show-eee', '-m', '--show-priv-flags']) {
      expect(runEthtool([opt, 'ntb0'], nl)).toEqual({
        stdout: '',
        stderr:
          `ethtool: ${opt} is an ethtool 6.1 option this model does not implement ` +
          '(it has DEV, -a, -c, -C, -g, -G, -k, -K, -i, -d, -e, -S, -n, -T, -x, -P, -l, -L, -h, --version and --monitor)\n',
        exitCode: 1,
      });
    }
  });

  it('-n (do_grxclass): ntb_netdev has no get_rxnfc, so each of its ioctls fails as perror prints it, exit 1; a malformed argument is a bad command line', () => {
    const missing = 'Operation not supported';
    expect(runEthtool(['-n', 'ntb0'], nl)).toEqual({ stdout: '', stderr: `Cannot get RX rings: ${missing}\nrxclass: Cannot get RX class rule count: ${missing}\nRX classification rule retrieval failed\n`, exitCode: 1 });
    for (const argv of [['-u', 'ntb0', 'rx-flow-hash', 'udp4'], ['--show-nfc', 'ntb0', 'rx-flow-hash', 'sctp6', 'context', '0x10']]) {
      expect(runEthtool(argv, nl)).toEqual({ stdout: '', stderr: `Cannot get RX network flow hashing options: ${missing}\n`, exitCode: 1 });
    }
    expect(runEthtool(['--show-ntuple', 'ntb0', 'rule', '7'], nl)).toEqual({ stdout: '', stderr: `rxclass: Cannot get RX class rule: ${missing}\nCannot get RX classification rule\n`, exitCode: 1 });
    for (const bad of [['rx-flow-hash'], ['rx-flow-hash', 'ether'], ['rx-flow-hash', 'tcp4', 'ctx', '1'], ['rx-flow-hash', 'tcp4', 'context', 'x'], ['rule'], ['rule', '2147483648'], ['rules', '1'], ['x']]) {
      expect(runEthtool(['-n', 'ntb0', ...bad], nl)).toEqual({ stdout: '', stderr: BAD, exitCode: 1 });
    }
    expect(runEthtool(['-n', 'nosuchdev'], nl).exitCode).not.toBe(0);
  });

  it('accepts the global flags --debug MASK and -I before the subcommand', () => {
    expect(runEthtool(['--debug', '0x1', '-I', '-l', 'ntb0'], nl).exitCode).toBe(0);
    expect(runEthtool(['--include-statistics', 'ntb0'], nl).exitCode).toBe(0);
  });

  it('-I changes nothing for these subcommands: ethtool 6.1 asks for statistics with none of them', () => {
    for (const argv of [['-l', 'ntb0'], ['ntb0'], ['-i', 'ntb0'], ['-S', 'ntb0'], ['-l', 'nosuchdev'], ['-L', 'ntb0', 'combined', '65']]) {
      const plain = runEthtool(argv, nl);
      expect({ argv, r: runEthtool(['-I', ...argv], nl) }).toEqual({ argv, r: plain });
      expect({ argv, r: runEthtool(['--include-statistics', ...argv], nl) }).toEqual({ argv, r: plain });
    }
    expect(runEthtool(['-I', '-l', 'ntb0'], nl).stdout).toContain('Combined:\t64\n');
    expect(runEthtool(['-l', 'ntb0', '-I'], nl)).toEqual({ stdout: '', stderr: "ethtool: unexpected parameter '-I'\n", exitCode: 1 });
  });

  it('--json is a bad command line for every subcommand without JSON output in ethtool 6.1 (all but -a, -k and -S)', () => {
    const argvs = [['ntb0'], ['-i', 'ntb0'], ['-l', 'ntb0'], ['-L', 'ntb0', 'combined', '2'], ['-l', '*'], ['-g', 'ntb0'], ['-G', 'ntb0', 'rx', '1']];
    for (const argv of [...argvs, ['-c', 'ntb0'], ['-C', 'ntb0'], ['-K', 'ntb0', 'gro', 'off'], ['-T', 'ntb0'], ['-x', 'ntb0'], ['-P', 'ntb0']]) {
      expect({ argv, r: runEthtool(['--json', ...argv], nl) }).toEqual({ argv, r: { stdout: '', stderr: BAD, exitCode: 1 } });
    }
    for (const argv of [['-d', 'ntb0'], ['-e', 'ntb0']]) {
      expect({ argv, r: runEthtool(['--json', ...argv], nl) }).toEqual({ argv, r: { stdout: '', stderr: BAD, exitCode: 1 } });
    }
  });

  it('--json -a prints an empty JSON array besides the error; --json -k over SIOCETHTOOL is a bad command line', () => {
    expect(runEthtool(['--json', '-a', 'ntb0'], nl)).toEqual({ stdout: '[ ]\n', stderr: 'netlink error: Operation not supported\n', exitCode: 1 });
    expect(runEthtool(['--json', '-a', '*'], nl)).toEqual({ stdout: '[ ]\n', stderr: '', exitCode: 0 });
    expect(runEthtool(['--json', '-k', 'ntb0'], io)).toEqual({ stdout: '', stderr: BAD, exitCode: 1 });
  });

  it("has ethtool 6.1's usage text for each subcommand it implements, in ethtool's order", () => {
    const real = readFileSync(new URL('../fixtures/ethtool-help.txt', import.meta.url), 'utf8').split('\n').slice(1).join('\n');
    const lines = runEthtool(['-h'], nl).stdout.split('\n');
    const realLines = real.split('\n');
    let at = 0;
    for (const line of lines) {
      const found = realLines.indexOf(line, at);
      expect({ line, found: found >= 0 }).toEqual({ line, found: true });
      at = found + 1;
    }
    const prefix = '        ethtool [ FLAGS ] ';
    expect(lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length).split(' ')[0])).toEqual([
      '',
      '-a|--show-pause',
      '-c|--show-coalesce',
      '-C|--coalesce',
      '-g|--show-ring',
      '-G|--set-ring',
      '-k|--show-features|--show-offload',
      '-K|--features|--offload',
      '-i|--driver',
      '-d|--register-dump',
      '-e|--eeprom-dump',
      '-S|--statistics',
      '-n|-u|--show-nfc|--show-ntuple',
      '-T|--show-time-stamping',
      '-x|--show-rxfh-indir|--show-rxfh',
      '-P|--show-permaddr',
      '-l|--show-channels',
      '-L|--set-channels',
      '-h|--help',
      '--version',
    ]);
  });

  it('prints its version and a usage text for the subcommands it has', () => {
    expect(runEthtool(['--version'], nl)).toEqual({ stdout: 'ethtool version 6.1\n', stderr: '', exitCode: 0 });
    const h = runEthtool(['-h'], nl);
    expect(h.exitCode).toBe(0);
    expect(h.stdout.startsWith('ethtool version 6.1\nUsage:\n        ethtool [ FLAGS ]  DEVNAME\tDisplay standard information about device\n')).toBe(true);
    expect(h.stdout).toContain('        ethtool [ FLAGS ] -L|--set-channels DEVNAME\tSet Channels\n               [ rx N ]\n');
    expect(h.stdout).toContain('        ethtool [ FLAGS ] -h|--help \t\tShow this help\n');
    expect(h.stdout).toContain(
      '        ethtool --monitor               Show kernel notifications\n' +
        '                ( [ --all ]\n' +
        '                  | -s | --change\n' +
        '                  | -k | --show-features | --show-offload | -K | --features | --offload\n' +
        '                  | --show-priv-flags | --set-priv-flags\n' +
        '                  | -g | --show-ring | -G | --set-ring\n' +
        '                  | -l | --show-channels | -L | --set-channels\n' +
        '                  | -c | --show-coalesce | -C | --coalesce\n' +
        '                  | -a | --show-pause | -A | --pause\n' +
        '                  | --show-eee | --set-eee\n' +
        '                  | --cable-test\n' +
        '                  | --cable-test-tdr\n' +
        '                  | --show-module | --set-module )\n' +
        '                [ DEVNAME | * ]\n\nFLAGS:\n',
    );
    expect(h.stdout.split('-s | --change').length).toBe(2);
    expect(h.stdout.endsWith('\t-I|--include-statistics\t\trequest device statistics related to the command (not supported by all commands)\n')).toBe(true);
    expect(runEthtool(['--help'], io).stdout).toBe(h.stdout);
  });

  it('refuses over-long device names as netlink_run_handler does', () => {
    const long16 = 'abcdefghijklmnop';
    const long128 = 'x'.repeat(128);
    expect(runEthtool(['-i', long16], nl)).toEqual({
      stdout: '',
      stderr: 'ethtool netlink support for subcommand missing, device name longer than 15 not supported\n',
      exitCode: 1,
    });
    expect(runEthtool(['-S', long16], nl).stderr).toBe('ioctl-only request, device name longer than 15 not supported\n');
    expect(runEthtool(['-S', long128], nl).stderr).toBe('ioctl-only request, device name longer than 15 not supported\n');
    expect(runEthtool(['-l', long16], nl).stderr).toBe('netlink error: no device matches name (offset 24)\nnetlink error: No such device\n');
    expect(runEthtool(['-l', long128], nl).stderr).toBe(`device name '${long128}' longer than 127 characters\n`);
    expect(runEthtool(['-i', long128], nl).stderr).toBe(`device name '${long128}' longer than 127 characters\n`);
    expect(runEthtool(['-l', long16], io).stderr).toBe('netlink interface initialization failed, device name longer than 15 not supported\n');
    expect(runEthtool(['-i', '*'], nl).stderr).toBe('ethtool netlink support for subcommand missing, wildcard dump not supported\n');
    expect(runEthtool(['-l', '*'], io).stderr).toBe('netlink interface initialization failed, wildcard dump not supported\n');
  });
});

describe('ethtool -i (do_gdrv, ethtool_get_drvinfo)', () => {
  it('prints the driver block of ntb_netdev', () => {
    expect(runEthtool(['-i', 'ntb0'], nl)).toEqual({
      stdout:
        'driver: ntb_netdev\nversion: 0.7\nfirmware-version: \nexpansion-rom-version: \nbus-info: 0000:01:00.0\n' +
        'supports-statistics: no\nsupports-test: no\nsupports-eeprom-access: no\nsupports-register-dump: no\nsupports-priv-flags: no\n',
      stderr: '',
      exitCode: 0,
    });
  });

  it('falls back to the parent device, then the link kind, with the kernel release as version', () => {
    const viaParent = fakeDevice({ name: 'p0', parent: { name: '0000:02:00.0', driverName: 'ntb_hw_epf' } });
    const viaKind = fakeDevice({ name: 'ifb0', linkKind: 'ifb' });
    const env: EthtoolEnv = { devices: new Map([['p0', viaParent], ['ifb0', viaKind]]), utsRelease: '6.18.7-rcar' };
    expect(runEthtool(['-i', 'p0'], env).stdout).toMatch(/^driver: ntb_hw_epf\nversion: 6\.18\.7-rcar\nfirmware-version: \nexpansion-rom-version: \nbus-info: 0000:02:00\.0\n/);
    expect(runEthtool(['-i', 'ifb0'], env).stdout).toMatch(/^driver: ifb\nversion: 6\.18\.7-rcar\n.*\nbus-info: \n/s);
  });

  it('fails with exit 71 for a device without drvinfo, a missing device or a failing begin', () => {
    expect(runEthtool(['-i', 'dummy0'], nl)).toEqual({ stdout: '', stderr: 'Cannot get driver information: Operation not supported\n', exitCode: 71 });
    expect(runEthtool(['-i', 'nosuchdev'], nl).stderr).toBe('Cannot get driver information: No such device\n');
    const busy = fakeDevice({ name: 'b0', drvinfo: { driver: 'x' }, beginRet: -ERRNO.EBUSY });
    expect(runEthtool(['-i', 'b0'], { devices: new Map([['b0', busy]]) })).toEqual({
      stdout: '',
      stderr: 'Cannot get driver information: Device or resource busy\n',
      exitCode: 71,
    });
    expect(runEthtool(['-i', 'ntb0', 'x'], nl).stderr).toBe(BAD);
  });

  it('cuts every string to 31 characters as strscpy into char[32] does', () => {
    const d = fakeDevice({ name: 'l0', drvinfo: { driver: 'd'.repeat(40), busInfo: 'b'.repeat(32) } });
    const out = runEthtool(['-i', 'l0'], { devices: new Map([['l0', d]]) }).stdout;
    expect(out).toContain(`driver: ${'d'.repeat(31)}\n`);
    expect(out).toContain(`bus-info: ${'b'.repeat(31)}\n`);
  });
});

describe('ethtool -S (do_gstats)', () => {
  const statsDev = (stats: readonly (readonly [string, number | bigint])[]) => {
    const d = fakeDevice({ name: 's0', stats });
    return { d, env: { devices: new Map([['s0', d]]) } satisfies EthtoolEnv };
  };

  it('prints "NIC statistics:" and one five-space-indented line per counter, as u64', () => {
    const { env } = statsDev([
      ['rx_queue_0_packets', 12],
      ['tx_queue_0_bytes', 2n ** 64n - 1n],
      ['wrapped', -1],
      [`${'n'.repeat(40)}`, 7],
    ]);
    expect(runEthtool(['-S', 's0'], env)).toEqual({
      stdout: `NIC statistics:\n     rx_queue_0_packets: 12\n     tx_queue_0_bytes: 18446744073709551615\n     wrapped: 18446744073709551615\n     ${'n'.repeat(31)}: 7\n`,
      stderr: '',
      exitCode: 0,
    });
    expect(runEthtool(['-S', 's0'], { ...env, path: 'ioctl' }).exitCode).toBe(0);
  });

  it('exits 94 with "no stats available" when the device has none, 96 for a missing device', () => {
    expect(runEthtool(['-S', 'ntb0'], nl)).toEqual({ stdout: '', stderr: 'no stats available\n', exitCode: 94 });
    expect(runEthtool(['-S', statsDev([]).d.name], statsDev([]).env)).toEqual({ stdout: '', stderr: 'no stats available\n', exitCode: 94 });
    expect(runEthtool(['-S', 'nosuchdev'], nl)).toEqual({ stdout: '', stderr: 'Cannot get stats strings information: No such device\n', exitCode: 96 });
  });

  it('exits 97 when the counters cannot be read, and rejects extra arguments', () => {
    const { d, env } = statsDev([['a', 1]]);
    delete (d.ethtoolOps as { getEthtoolStats?: unknown }).getEthtoolStats;
    expect(runEthtool(['-S', 's0'], env)).toEqual({ stdout: '', stderr: 'Cannot get stats information: Operation not supported\n', exitCode: 97 });
    // Without netlink, arguments after DEVNAME reach do_gstats, which takes none.
    expect(runEthtool(['-S', 's0', '--all-groups'], { ...env, path: 'ioctl' })).toEqual({ stdout: '', stderr: BAD, exitCode: 1 });
  });

  it('sends -S DEV with arguments over netlink (nl_gstats): an unknown parameter as nl_parser rejects it', () => {
    const { env } = statsDev([['a', 1]]);
    expect(runEthtool(['-S', 's0', 'foo'], env)).toEqual({ stdout: '', stderr: "ethtool (-S): unknown parameter 'foo'\n", exitCode: 1 });
    expect(runEthtool(['-S', 's0', 'eth-phy', '--all-groups'], env).stderr).toBe("ethtool (-S): unknown parameter 'eth-phy'\n");
  });

  it('refuses the standard statistics groups (--all-groups, --groups, also with --json) as not implemented', () => {
    const { env } = statsDev([['a', 1]]);
    const refusal = (opt: string): string =>
      `ethtool: -S ${opt} is an ethtool 6.1 option this model does not implement (its -S shows the driver's statistics, ETH_SS_STATS, only)\n`;
    expect(runEthtool(['-S', 's0', '--all-groups'], env)).toEqual({ stdout: '', stderr: refusal('--all-groups'), exitCode: 1 });
    expect(runEthtool(['-S', 's0', '--groups', 'eth-phy', 'rmon'], env)).toEqual({ stdout: '', stderr: refusal('--groups'), exitCode: 1 });
    expect(runEthtool(['--json', '-S', 's0', '--all-groups'], env)).toEqual({ stdout: '', stderr: refusal('--all-groups'), exitCode: 1 });
    expect(runEthtool(['-S', '*', '--all-groups'], env).stderr).toBe(refusal('--all-groups'));
    // Without arguments -S stays an ioctl request, which cannot dump or print JSON.
    expect(runEthtool(['-S', '*'], env)).toEqual({ stdout: '', stderr: 'ioctl-only request, wildcard dump not supported\n', exitCode: 1 });
    expect(runEthtool(['--json', '-S', 's0'], env)).toEqual({ stdout: '', stderr: BAD, exitCode: 1 });
  });

  it('throws EthtoolError(EIO) for a driver whose strings and count disagree', () => {
    const { d, env } = statsDev([['a', 1]]);
    (d.ethtoolOps as { getStrings: unknown }).getStrings = () => ['a', 'b'];
    expect(() => runEthtool(['-S', 's0'], env)).toThrow(EthtoolError);
    (d.ethtoolOps as { getStrings: unknown }).getStrings = () => ['a'];
    (d.ethtoolOps as { getEthtoolStats: unknown }).getEthtoolStats = () => [];
    expect(() => runEthtool(['-S', 's0'], env)).toThrow(/gave 0 values/);
  });
});

const NO_MODES =
  '\tSupported link modes:   Not reported\n\tSupported pause frame use: No\n\tSupports auto-negotiation: No\n' +
  '\tSupported FEC modes: Not reported\n\tAdvertised link modes:  Not reported\n\tAdvertised pause frame use: No\n' +
  '\tAdvertised auto-negotiation: No\n\tAdvertised FEC modes: Not reported\n';

describe('ethtool DEV (link settings)', () => {
  it('prints ntb_netdev settings over netlink: linkmodes, then linkinfo, then link state', () => {
    expect(runEthtool(['ntb0'], nl)).toEqual({
      stdout:
        'Settings for ntb0:\n\tSupported ports: [ Backplane ]\n' +
        NO_MODES +
        '\tSpeed: Unknown!\n\tDuplex: Full\n\tAuto-negotiation: on\n\tPort: Other\n\tPHYAD: 0\n\tTransceiver: internal\n\tLink detected: yes\n',
      stderr: '',
      exitCode: 0,
    });
  });

  it('prints ntb_netdev settings over ioctl (dump_link_usettings order)', () => {
    expect(runEthtool(['ntb0'], io)).toEqual({
      stdout:
        'Settings for ntb0:\n\tSupported ports: [ Backplane ]\n' +
        NO_MODES +
        '\tSpeed: Unknown!\n\tDuplex: Full\n\tPort: Other\n\tPHYAD: 0\n\tTransceiver: internal\n\tAuto-negotiation: on\n\tLink detected: yes\n',
      stderr: '',
      exitCode: 0,
    });
  });

  it('prints a veth (no link modes, twisted pair) as the real tool does', () => {
    expect(runEthtool(['veth0'], nl).stdout).toBe(
      'Settings for veth0:\n\tSupported ports: [  ]\n' +
        NO_MODES +
        '\tSpeed: 10000Mb/s\n\tDuplex: Full\n\tAuto-negotiation: off\n\tPort: Twisted Pair\n\tPHYAD: 0\n\tTransceiver: internal\n\tMDI-X: Unknown\n\tLink detected: yes\n',
    );
    expect(runEthtool(['veth0'], io).stdout).toContain('\tSupported ports: [ ]\n');
  });

  it('groups link modes by speed, with the continuation indent of each path', () => {
    const n = runEthtool(['eth0'], nl).stdout;
    expect(n).toContain(
      '\tSupported ports: [ TP ]\n\tSupported link modes:   10baseT/Half 10baseT/Full\n' +
        `\t${' '.repeat(24)}100baseT/Half 100baseT/Full\n\t${' '.repeat(24)}1000baseT/Full\n` +
        '\tSupported pause frame use: Symmetric\n\tSupports auto-negotiation: Yes\n',
    );
    // netlink sends advertising as the value of a bitset masked by supported: Asym_Pause drops out
    expect(n).toContain('\tAdvertised pause frame use: Symmetric\n\tAdvertised auto-negotiation: Yes\n');
    expect(n).toContain('\tSpeed: 1000Mb/s\n\tDuplex: Full\n\tAuto-negotiation: on\n\tPort: Twisted Pair\n\tPHYAD: 1\n\tTransceiver: internal\n\tMDI-X: off (auto)\n\tLink detected: no\n');
    const i = runEthtool(['eth0'], io).stdout;
    expect(i).toContain(
      '\tSupported ports: [ TP ]\n\tSupported link modes:   10baseT/Half 10baseT/Full \n' +
        `\t${' '.repeat(24)}100baseT/Half 100baseT/Full \n\t${' '.repeat(24)}1000baseT/Full \n`,
    );
    expect(i).toContain('\tAdvertised pause frame use: Symmetric Receive-only\n');
  });

  it('reports a link that is down when the interface is not running', () => {
    const down = fakeDevice({ name: 'd0', ksettings: NTB_KSETTINGS, isUp: false });
    expect(runEthtool(['d0'], { devices: new Map([['d0', down]]) }).stdout).toContain('\tLink detected: no\n');
  });

  it('prints "No data available" (exit 75) for a device that answers nothing', () => {
    expect(runEthtool(['dummy0'], nl)).toEqual({ stdout: 'No data available\n', stderr: '', exitCode: 75 });
    expect(runEthtool(['dummy0'], io)).toEqual({ stdout: 'Settings for dummy0:\nNo data available\n', stderr: '', exitCode: 75 });
  });

  it('reports a missing device once per request, then "No data available"', () => {
    const pair = 'netlink error: no device matches name (offset 24)\nnetlink error: No such device\n';
    expect(runEthtool(['nosuchdev'], nl)).toEqual({ stdout: 'No data available\n', stderr: pair.repeat(5), exitCode: 75 });
    expect(runEthtool(['nosuchdev'], io)).toEqual({
      stdout: 'Settings for nosuchdev:\nNo data available\n',
      stderr:
        'Cannot get device settings: No such device\nCannot get wake-on-lan settings: No such device\n' +
        'Cannot get message level: No such device\nCannot get link status: No such device\n',
      exitCode: 75,
    });
    expect(runEthtool(['ntb0', 'x'], io).stderr).toBe(BAD);
  });

  it('dumps every device for "*", a banner per reply as the real tool prints it', () => {
    const two = new Map<string, EthtoolDevice>([['ntb0', ntb], ['dummy0', nolink]]);
    const r = runEthtool(['*'], { devices: two });
    expect(r.stdout).toBe(
      'Settings for ntb0:\n\tSupported ports: [ Backplane ]\n' +
        NO_MODES +
        '\tSpeed: Unknown!\n\tDuplex: Full\n\tAuto-negotiation: on\n' +
        'Settings for ntb0:\n\tPort: Other\n\tPHYAD: 0\n\tTransceiver: internal\n' +
        'Settings for ntb0:\n\tLink detected: yes\n' +
        'No data available\n',
    );
    expect(r.exitCode).toBe(75);
  });

  it('throws EthtoolError(EIO) for a link mode the kernel does not know', () => {
    const bad = fakeDevice({ name: 'x0', ksettings: { ...NTB_KSETTINGS, supported: ['Warp9'] } });
    expect(() => runEthtool(['x0'], { devices: new Map([['x0', bad]]) })).toThrow(/unknown supported link mode 'Warp9'/);
  });
});

describe('a driver whose ethtool_ops are the methods of a class', () => {
  /** ntb_netdev-like: the ops are methods reading the instance's state through `this`. */
  class MethodsDriver {
    private combined = 1;
    getChannels(): EthtoolChannels {
      return { maxRx: 0, maxTx: 0, maxOther: 0, maxCombined: 4, rxCount: 0, txCount: 0, otherCount: 0, combinedCount: this.combined };
    }
    setChannels(ch: { readonly combinedCount: number }): number {
      this.combined = ch.combinedCount;
      return 0;
    }
    getDrvinfo(): EthtoolDrvinfoFill {
      return { driver: 'methods', version: '1.0' };
    }
    getSsetCount(set: EthtoolStringSet): number {
      return set === 'stats' ? 1 : -ERRNO.EOPNOTSUPP;
    }
    getStrings(): string[] {
      return [`combined_${this.combined}`];
    }
    getEthtoolStats(): number[] {
      return [this.combined];
    }
  }

  it('keeps `this` when the core takes an op out of the table to call it (-l, -L, -i, -S)', () => {
    const drv = new MethodsDriver();
    const env = { devices: new Map([['m0', { name: 'm0', ethtoolOps: drv, isUp: true, realNumRxQueues: 1, realNumTxQueues: 1, parent: { name: '0000:00:01.0', driverName: 'methods' } }]]) };
    expect(runEthtool(['-L', 'm0', 'combined', '3'], env).exitCode).toBe(0);
    expect(runEthtool(['-l', 'm0'], env).stdout).toMatch(/Current hardware settings:\n(.|\n)*Combined:\t3\n$/);
    expect(runEthtool(['-i', 'm0'], env).stdout).toMatch(/^driver: methods\nversion: 1\.0\n/);
    expect(runEthtool(['-S', 'm0'], env).stdout).toBe('NIC statistics:\n     combined_3: 3\n');
  });
});
