import { ERRNO } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { createEthtoolNotifier, runEthtool, type EthtoolEnv, type EthtoolPath } from '../../src/index.js';
import { combinedOnly, fakeDevice, rxTxOnly, type FakeDevice, type FakeDeviceOptions } from '../fakeDevice.js';

const EINVAL_NL = 'netlink error: Invalid argument\n';
const EXCEEDS = 'netlink error: requested channel count exceeds maximum';
const NO_RXTX = 'netlink error: requested channel counts would result in no RX or TX channel being configured';

function lab(path: EthtoolPath, o: Partial<FakeDeviceOptions> = {}, extra: Partial<EthtoolEnv> = {}) {
  const ntb = fakeDevice({ name: 'ntb0', channels: combinedOnly(64, 1), ...o });
  const veth = fakeDevice({ name: 'veth0', channels: rxTxOnly(8, 8, 8) });
  const ifb = fakeDevice({ name: 'ifb0', linkKind: 'ifb' });
  const ro = fakeDevice({ name: 'ro0', channels: combinedOnly(4, 1), readOnlyChannels: true });
  const devs: FakeDevice[] = [ntb, veth, ifb, ro];
  const env: EthtoolEnv = { devices: new Map(devs.map((d) => [d.name, d])), notifier: createEthtoolNotifier(), path, ...extra };
  const run = (...argv: string[]) => runEthtool(argv, env);
  return { ntb, veth, env, run };
}

describe('ethtool -L over netlink', () => {
  it('prints nothing and exits 0 on success or on no change', () => {
    const { ntb, run } = lab('netlink');
    expect(run('-L', 'ntb0', 'combined', '4')).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(ntb.channels?.combinedCount).toBe(4);
    expect(run('-L', 'ntb0', 'combined', '4')).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(run('-L', 'ntb0')).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(ntb.calls.setChannels).toBe(1);
  });

  it.each([
    [['combined', '65'], `${EXCEEDS} (offset 36)\n${EINVAL_NL}`],
    [['rx', '1'], `${EXCEEDS} (offset 36)\n${EINVAL_NL}`],
    [['combined', '4', 'rx', '1'], `${EXCEEDS} (offset 44)\n${EINVAL_NL}`],
    [['combined', '4', 'tx', '1', 'other', '1'], `${EXCEEDS} (offset 44)\n${EINVAL_NL}`],
    [['other', '1', 'combined', '65'], `${EXCEEDS} (offset 36)\n${EINVAL_NL}`],
    [['combined', '0'], `${NO_RXTX} (offset 36)\n${EINVAL_NL}`],
    [['combined', '4294967295'], `${EXCEEDS} (offset 36)\n${EINVAL_NL}`],
  ])('rejects %j with the kernel extack, its attribute offset, and exit 1', (params, stderr) => {
    const { ntb, run } = lab('netlink');
    expect(run('-L', 'ntb0', ...params)).toEqual({ stdout: '', stderr, exitCode: 1 });
    expect(ntb.channels).toEqual(combinedOnly(64, 1));
    expect(ntb.calls.setChannels).toBeUndefined();
  });

  it('computes the attribute offset from the padded device name', () => {
    for (const [name, offset] of [
      ['a', 32],
      ['eth0', 36],
      ['veth0', 36],
      ['ntb10', 36],
      ['enp1s0f0', 40],
      ['enp1s0f0np0', 40],
      ['enp1s0f0np01', 44],
    ] as const) {
      const dev = fakeDevice({ name, channels: combinedOnly(2, 1) });
      const r = runEthtool(['-L', name, 'rx', '1'], { devices: new Map([[name, dev]]) });
      expect({ name, stderr: r.stderr }).toEqual({ name, stderr: `${EXCEEDS} (offset ${offset})\n${EINVAL_NL}` });
    }
  });

  it('points a no-RX/TX error at rx when combined is untouched, and prints no offset for an absent attribute', () => {
    const { run } = lab('netlink');
    expect(run('-L', 'veth0', 'tx', '3', 'rx', '0').stderr).toBe(`${NO_RXTX} (offset 44)\n${EINVAL_NL}`);
    const dev = fakeDevice({ name: 'v4', channels: { ...rxTxOnly(8, 0, 2), maxOther: 1 } });
    expect(runEthtool(['-L', 'v4', 'other', '1'], { devices: new Map([['v4', dev]]) }).stderr).toBe(`${NO_RXTX}\n${EINVAL_NL}`);
  });

  it('prints the queue-use extacks without an offset', () => {
    const { ntb, run } = lab('netlink', { channels: combinedOnly(8, 8) });
    ntb.rxfhMax = 5;
    expect(run('-L', 'ntb0', 'combined', '4')).toEqual({
      stdout: '',
      stderr: `netlink error: requested channel counts are too low for existing indirection table (5)\n${EINVAL_NL}`,
      exitCode: 1,
    });
    ntb.rxfhMax = 0;
    ntb.xskQueues.add('rx6');
    expect(run('-L', 'ntb0', 'combined', '4').stderr).toBe(
      `netlink error: requested channel counts are too low for existing zerocopy AF_XDP sockets\n${EINVAL_NL}`,
    );
    expect(ntb.channels?.combinedCount).toBe(8);
  });

  it('reports a driver -ENOSPC (and a driver extack) and leaves the device unchanged', () => {
    const { ntb, run } = lab('netlink', { channels: combinedOnly(64, 2), queueBudget: 2 });
    expect(run('-L', 'ntb0', 'combined', '8')).toEqual({ stdout: '', stderr: 'netlink error: No space left on device\n', exitCode: 1 });
    expect(ntb.channels).toEqual(combinedOnly(64, 2));
    expect(run('-L', 'ntb0', 'combined', '4').exitCode).toBe(0);
    (ntb.ethtoolOps as { setChannels: unknown }).setChannels = () => ({ ret: -ERRNO.EBUSY, extack: 'XDP is loaded' });
    expect(run('-L', 'ntb0', 'combined', '2').stderr).toBe('netlink error: XDP is loaded\nnetlink error: Device or resource busy\n');
  });

  it('reports a missing device at offset 24, a device without set_channels, and missing CAP_NET_ADMIN first', () => {
    const { run, env } = lab('netlink');
    expect(run('-L', 'nosuchdev', 'combined', '2')).toEqual({
      stdout: '',
      stderr: 'netlink error: no device matches name (offset 24)\nnetlink error: No such device\n',
      exitCode: 1,
    });
    expect(run('-L', 'ifb0', 'combined', '2').stderr).toBe('netlink error: Operation not supported\n');
    expect(run('-L', 'ro0', 'combined', '2').stderr).toBe('netlink error: Operation not supported\n');
    const user = { ...env, capNetAdmin: false };
    expect(runEthtool(['-L', 'nosuchdev', 'combined', '2'], user).stderr).toBe('netlink error: Operation not permitted\n');
    expect(runEthtool(['-L', 'ntb0', 'combined', '2'], user).exitCode).toBe(1);
    expect(runEthtool(['-l', 'ntb0'], user).exitCode).toBe(0);
  });

  it.each([
    [['foo', '1'], "ethtool (-L): unknown parameter 'foo'\n"],
    [['combined'], "ethtool (-L): no value for parameter 'combined'\n"],
    [['combined', '2', 'combined', '3'], "ethtool (-L): duplicate parameter 'combined'\n"],
    [['combined', 'x'], "ethtool (-L): invalid value 'x' for parameter 'combined'\n"],
    [['combined', '-1'], "ethtool (-L): invalid value '-1' for parameter 'combined'\n"],
    [['combined', '4294967296'], "ethtool (-L): invalid value '4294967296' for parameter 'combined'\n"],
    [['combined', '0x'], "ethtool (-L): invalid value '0x' for parameter 'combined'\n"],
    [['combined', ''], "ethtool (-L): invalid value '' for parameter 'combined'\n"],
    [['combined', '2x'], "ethtool (-L): invalid value '2x' for parameter 'combined'\n"],
    [['rx', '1', 'RX', '2'], "ethtool (-L): unknown parameter 'RX'\n"],
  ])('rejects the arguments %j before sending anything', (params, stderr) => {
    const { ntb, run } = lab('netlink');
    expect(run('-L', 'ntb0', ...params)).toEqual({ stdout: '', stderr, exitCode: 1 });
    expect(ntb.calls.getChannels).toBeUndefined();
    expect(run('-L', 'nosuchdev', ...params).stderr).toBe(stderr);
  });

  it.each([
    ['0x10', 16],
    ['0X1f', 31],
    ['-0', 0],
    ['+3', 3],
    [' 7', 7],
    ['010', 10],
  ])('parses %j as %d (parse_u32)', (text, value) => {
    const { ntb, run } = lab('netlink', { channels: combinedOnly(64, 5) });
    const r = run('-L', 'ntb0', 'combined', text);
    expect(ntb.channels?.combinedCount).toBe(value === 0 ? 5 : value);
    expect(r.exitCode).toBe(value === 0 ? 1 : 0);
  });

  it('refuses the wildcard device for -L', () => {
    const { run } = lab('netlink');
    expect(run('-L', '*', 'combined', '2')).toEqual({ stdout: '', stderr: 'subcommand does not support wildcard dump\n', exitCode: 1 });
  });
});

describe('ethtool -l', () => {
  it('over netlink rejects extra arguments', () => {
    const { run } = lab('netlink');
    expect(run('-l', 'ntb0', 'extra')).toEqual({ stdout: '', stderr: "ethtool: unexpected parameter 'extra'\n", exitCode: 1 });
  });

  it('over netlink dumps every device with channel ops for "*", each block after a blank line', () => {
    const { run } = lab('netlink');
    const r = run('-l', '*');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      '\nChannel parameters for ntb0:\nPre-set maximums:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t64\n' +
        'Current hardware settings:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t1\n' +
        '\nChannel parameters for veth0:\nPre-set maximums:\nRX:\t\t8\nTX:\t\t8\nOther:\t\tn/a\nCombined:\tn/a\n' +
        'Current hardware settings:\nRX:\t\t8\nTX:\t\t8\nOther:\t\tn/a\nCombined:\tn/a\n' +
        '\nChannel parameters for ro0:\nPre-set maximums:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t4\n' +
        'Current hardware settings:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t1\n',
    );
    expect(runEthtool(['-l', '*'], { devices: () => undefined })).toEqual({ stdout: '', stderr: '', exitCode: 0 });
  });

  it('over ioctl prints zeros for absent kinds and a trailing blank line', () => {
    const { run } = lab('ioctl');
    expect(run('-l', 'ntb0')).toEqual({
      stdout:
        'Channel parameters for ntb0:\nPre-set maximums:\nRX:\t\t0\nTX:\t\t0\nOther:\t\t0\nCombined:\t64\n' +
        'Current hardware settings:\nRX:\t\t0\nTX:\t\t0\nOther:\t\t0\nCombined:\t1\n\n',
      stderr: '',
      exitCode: 0,
    });
  });

  it('over ioctl prints the header, then perror, for a device without get_channels or a missing one', () => {
    const { run } = lab('ioctl');
    expect(run('-l', 'ifb0')).toEqual({
      stdout: 'Channel parameters for ifb0:\n',
      stderr: 'Cannot get device channel parameters: Operation not supported\n',
      exitCode: 1,
    });
    expect(run('-l', 'nosuchdev')).toEqual({
      stdout: 'Channel parameters for nosuchdev:\n',
      stderr: 'Cannot get device channel parameters: No such device\n',
      exitCode: 1,
    });
    expect(run('-l', 'ntb0', 'x').stderr).toBe('ethtool: bad command line argument(s)\nFor more information run ethtool -h\n');
  });
});

describe('ethtool -L over ioctl', () => {
  const NOCHANGE = 'no channel parameters changed.\n';
  const BAD = 'ethtool: bad command line argument(s)\nFor more information run ethtool -h\n';

  it('applies a change silently', () => {
    const { ntb, run } = lab('ioctl');
    expect(run('-L', 'ntb0', 'combined', '4')).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(ntb.channels?.combinedCount).toBe(4);
  });

  it('reports unmodified values in rx, tx, other, combined order, and "no channel parameters changed."', () => {
    const { ntb, run } = lab('ioctl');
    expect(run('-L', 'ntb0', 'combined', '1', 'rx', '0')).toEqual({
      stdout: '',
      stderr: `rx unmodified, ignoring\ncombined unmodified, ignoring\n${NOCHANGE}current values: rx 0 tx 0 other 0 combined 1\n`,
      exitCode: 0,
    });
    expect(run('-L', 'ntb0')).toEqual({ stdout: '', stderr: `${NOCHANGE}current values: rx 0 tx 0 other 0 combined 1\n`, exitCode: 0 });
    expect(run('-L', 'ntb0', 'combined', '-1').stderr).toBe(`${NOCHANGE}current values: rx 0 tx 0 other 0 combined 1\n`);
    expect(run('-L', 'ntb0', 'rx', '0', 'tx', '0', 'combined', '3')).toEqual({
      stdout: '',
      stderr: 'rx unmodified, ignoring\ntx unmodified, ignoring\n',
      exitCode: 0,
    });
    expect(ntb.channels?.combinedCount).toBe(3);
    expect(ntb.calls.setChannels).toBe(1);
  });

  it.each([
    [['combined', '65'], 'Invalid argument'],
    [['combined', '0'], 'Invalid argument'],
    [['combined', ''], 'Invalid argument'],
    [['rx', '1'], 'Invalid argument'],
  ])('rejects %j with "Cannot set device channel parameters: %s" and exit 1', (params, msg) => {
    const { ntb, run } = lab('ioctl');
    expect(run('-L', 'ntb0', ...params)).toEqual({ stdout: '', stderr: `Cannot set device channel parameters: ${msg}\n`, exitCode: 1 });
    expect(ntb.channels).toEqual(combinedOnly(64, 1));
  });

  it('reports the driver errno, missing privileges, a missing op and a missing device', () => {
    const { ntb, run, env } = lab('ioctl', { queueBudget: 1 });
    expect(run('-L', 'ntb0', 'combined', '4').stderr).toBe('Cannot set device channel parameters: No space left on device\n');
    expect(ntb.channels).toEqual(combinedOnly(64, 1));
    expect(runEthtool(['-L', 'ntb0', 'combined', '2'], { ...env, capNetAdmin: false })).toEqual({
      stdout: '',
      stderr: 'Cannot set device channel parameters: Operation not permitted\n',
      exitCode: 1,
    });
    expect(run('-L', 'ro0', 'combined', '2').stderr).toBe('Cannot set device channel parameters: Operation not supported\n');
    expect(run('-L', 'ifb0', 'combined', '2').stderr).toBe('Cannot get device channel parameters: Operation not supported\n');
    expect(run('-L', 'nosuchdev', 'combined', '2')).toEqual({
      stdout: '',
      stderr: 'Cannot get device channel parameters: No such device\n',
      exitCode: 1,
    });
  });

  it.each([
    [['combined']],
    [['combined', 'x']],
    [['foo', '1']],
    [['combined', '2147483648']],
    [['combined', '0x']],
    [['combined', '9', 'bar']],
  ])('rejects %j as bad command line arguments', (params) => {
    const { ntb, run } = lab('ioctl');
    expect(run('-L', 'ntb0', ...params)).toEqual({ stdout: '', stderr: BAD, exitCode: 1 });
    expect(ntb.calls.getChannels).toBeUndefined();
  });

  it.each([
    ['0x10', 16],
    ['010', 8],
    ['-0', 0],
  ])('parses %j as %d (strtoll base 0), the last duplicate winning', (text, value) => {
    const { ntb, run } = lab('ioctl', { channels: combinedOnly(64, 5) });
    run('-L', 'ntb0', 'combined', '2', 'combined', text);
    expect(ntb.channels?.combinedCount).toBe(value === 0 ? 5 : value);
  });
});
