/**
 * The ethtool 6.1 query options on ntb0 as ntb_netdev_probe registers it (features = hw_features
 * = HIGHDMA, a permanent address, no get_ts_info, ring, coalescing, pause, RX flow hashing,
 * register or EEPROM ops): -k/-K, -g/-G, -c/-C, -a, -T, -P, -x, -d, -e over netlink and over
 * SIOCETHTOOL, their exact text and exit status, what a refused -K/-G leaves and what an accepted
 * -K keeps.
 */
import { ERRNO } from '@ntbsim/kernel';
import { netdevFeatures, NETIF_F } from '@ntbsim/net-core';
import { describe, expect, it } from 'vitest';
import { createEthtoolNotifier, runEthtool, type EthtoolEnv } from '../../src/index.js';
import { fakeDevice, ntbLike } from '../fakeDevice.js';

/** What Linux 6.18 holds for ntb_netdev, laid out as ethtool 6.1 prints it (the order of lo's capture). */
const NTB0_FEATURES = [
  'Features for ntb0:',
  'rx-checksumming: off [fixed]',
  'tx-checksumming: off',
  '\ttx-checksum-ipv4: off [fixed]',
  '\ttx-checksum-ip-generic: off [fixed]',
  '\ttx-checksum-ipv6: off [fixed]',
  '\ttx-checksum-fcoe-crc: off [fixed]',
  '\ttx-checksum-sctp: off [fixed]',
  'scatter-gather: off',
  '\ttx-scatter-gather: off [fixed]',
  '\ttx-scatter-gather-fraglist: off [fixed]',
  'tcp-segmentation-offload: off',
  '\ttx-tcp-segmentation: off [fixed]',
  '\ttx-tcp-ecn-segmentation: off [fixed]',
  '\ttx-tcp-mangleid-segmentation: off [fixed]',
  '\ttx-tcp6-segmentation: off [fixed]',
  '\ttx-tcp-accecn-segmentation: off [fixed]',
  'generic-segmentation-offload: off [requested on]',
  'generic-receive-offload: on',
  'large-receive-offload: off [fixed]',
  'rx-vlan-offload: off [fixed]',
  'tx-vlan-offload: off [fixed]',
  'ntuple-filters: off [fixed]',
  'receive-hashing: off [fixed]',
  'highdma: on',
  ...[
    'rx-vlan-filter',
    'vlan-challenged',
    'tx-gso-robust',
    'tx-fcoe-segmentation',
    'tx-gre-segmentation',
    'tx-gre-csum-segmentation',
    'tx-ipxip4-segmentation',
    'tx-ipxip6-segmentation',
    'tx-udp_tnl-segmentation',
    'tx-udp_tnl-csum-segmentation',
    'tx-gso-partial',
    'tx-tunnel-remcsum-segmentation',
    'tx-sctp-segmentation',
    'tx-esp-segmentation',
    'tx-udp-segmentation',
    'tx-gso-list',
  ].map((n) => `${n}: off [fixed]`),
  'tx-nocache-copy: off',
  ...[
    'loopback',
    'rx-fcs',
    'rx-all',
    'tx-vlan-stag-hw-insert',
    'rx-vlan-stag-hw-parse',
    'rx-vlan-stag-filter',
    'l2-fwd-offload',
    'hw-tc-offload',
    'esp-hw-offload',
    'esp-tx-csum-hw-offload',
    'rx-udp_tunnel-port-offload',
    'tls-hw-tx-offload',
    'tls-hw-rx-offload',
    'rx-gro-hw',
    'tls-hw-record',
  ].map((n) => `${n}: off [fixed]`),
  'rx-gro-list: off',
  'macsec-hw-offload: off [fixed]',
  'rx-udp-gro-forwarding: off',
  ...['hsr-tag-ins-offload', 'hsr-tag-rm-offload', 'hsr-fwd-offload', 'hsr-dup-offload'].map((n) => `${n}: off [fixed]`),
]
  .map((l) => `${l}\n`)
  .join('');

const EOPNOTSUPP_NL = 'netlink error: Operation not supported\n';
const BAD = 'ethtool: bad command line argument(s)\nFor more information run ethtool -h\n';

function lab(extra: Partial<EthtoolEnv> = {}): { env: EthtoolEnv; ntb: ReturnType<typeof ntbLike> } {
  const ntb = ntbLike();
  const lo = fakeDevice({ name: 'lo', tsInfo: { soTimestamping: ['software-transmit'], phcIndex: -1 } });
  return { env: { devices: new Map([['lo', lo], ['ntb0', ntb.dev]]), notifier: createEthtoolNotifier(), ...extra }, ntb };
}

describe('-k (nl_gfeatures, do_gfeatures)', () => {
  it("prints ntb0's features: HIGHDMA the driver's one changeable, GSO asked for but off without SG, GRO on", () => {
    const { env } = lab();
    expect(runEthtool(['-k', 'ntb0'], env)).toEqual({ stdout: NTB0_FEATURES, stderr: '', exitCode: 0 });
    expect(runEthtool(['--show-offload', 'ntb0'], env).stdout).toBe(NTB0_FEATURES);
  });

  it('prints the same over SIOCETHTOOL (the legacy flags read with their ioctls agree for ntb0)', () => {
    const { env } = lab({ path: 'ioctl' });
    expect(runEthtool(['-k', 'ntb0'], env)).toEqual({ stdout: NTB0_FEATURES, stderr: '', exitCode: 0 });
  });

  it("dumps each device after a blank line for '*', and prints JSON with --json", () => {
    const { env } = lab();
    const dump = runEthtool(['-k', '*'], env).stdout;
    expect(dump.endsWith(`\n${NTB0_FEATURES}`)).toBe(true);
    expect(dump.startsWith('\nFeatures for lo:\nrx-checksumming: off [fixed]\ntx-checksumming: off\n')).toBe(true);
    const json = runEthtool(['--json', '-k', 'ntb0'], env).stdout;
    expect(json.startsWith('[ {\n        "ifname": "ntb0",\n        "rx-checksumming": {\n            "active": false,\n            "fixed": true,\n')).toBe(true);
    expect(json).toContain('        "tx-checksumming": {\n            "active": false,\n            "fixed": null,\n            "requested": null\n        },\n');
    expect(json).toContain('        "generic-segmentation-offload": {\n            "active": false,\n            "fixed": false,\n            "requested": true\n        },\n');
    expect(json.endsWith('        "hsr-dup-offload": {\n            "active": false,\n            "fixed": true,\n            "requested": false\n        }\n    } ]\n')).toBe(true);
  });

  it('rejects an extra argument: "unexpected parameter" over netlink, a bad command line over ioctl', () => {
    expect(runEthtool(['-k', 'ntb0', 'x'], lab().env)).toEqual({ stdout: '', stderr: "ethtool: unexpected parameter 'x'\n", exitCode: 1 });
    expect(runEthtool(['-k', 'ntb0', 'x'], lab({ path: 'ioctl' }).env)).toEqual({ stdout: '', stderr: BAD, exitCode: 1 });
  });
});

describe('-K (nl_sfeatures, ethnl_set_features)', () => {
  it('turns highdma off and on again silently; -k shows it and it stays so across other requests and a down/up', () => {
    const { env, ntb } = lab();
    expect(runEthtool(['-K', 'ntb0', 'highdma', 'off'], env)).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    const off = NTB0_FEATURES.replace('highdma: on\n', 'highdma: off\n');
    expect(runEthtool(['-k', 'ntb0'], env).stdout).toBe(off);
    runEthtool(['-L', 'ntb0', 'combined', '1'], env);
    ntb.ndev.close();
    expect(ntb.ndev.open()).toBe(0);
    expect(runEthtool(['-k', 'ntb0'], env).stdout).toBe(off);
    expect(ntb.ndev.features).toBe(NETIF_F.GRO);
    expect(runEthtool(['-K', 'ntb0', 'highdma', 'on'], env).exitCode).toBe(0);
    expect(runEthtool(['-k', 'ntb0'], env).stdout).toBe(NTB0_FEATURES);
  });

  it('a legacy flag stands for its features: gro off turns rx-gro off; tx on asks for five fixed ones and changes nothing', () => {
    const { env, ntb } = lab();
    expect(runEthtool(['-K', 'ntb0', 'generic-receive-offload', 'off'], env)).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(runEthtool(['-k', 'ntb0'], env).stdout).toContain('generic-receive-offload: off\nlarge-receive-offload');
    const before = ntb.ndev.features;
    expect(runEthtool(['-K', 'ntb0', 'tx', 'on'], env)).toEqual({
      stdout:
        'Actual changes:\ntx-checksum-ipv4: off [requested on]\ntx-checksum-ip-generic: off [requested on]\n' +
        'tx-checksum-ipv6: off [requested on]\ntx-checksum-fcoe-crc: off [requested on]\ntx-checksum-sctp: off [requested on]\n',
      stderr: 'Could not change any device features\n',
      exitCode: 1,
    });
    expect(ntb.ndev.features).toBe(before);
    expect(runEthtool(['-K', 'ntb0', 'tx', 'off'], env)).toEqual({ stdout: '', stderr: '', exitCode: 0 });
  });

  it('cannot turn GSO on (no SG): "[requested on]" and "Could not change any device features", wanted_features unchanged', () => {
    const { env, ntb } = lab();
    expect(runEthtool(['-K', 'ntb0', 'gso', 'on'], env)).toEqual({
      stdout: 'Actual changes:\ntx-generic-segmentation: off [requested on]\n',
      stderr: 'Could not change any device features\n',
      exitCode: 1,
    });
    expect(ntb.ndev.wantedFeatures).toBe(netdevFeatures('HIGHDMA', 'GSO', 'GRO'));
    expect(runEthtool(['-K', 'ntb0', 'gso', 'off'], env).exitCode).toBe(0);
    expect(runEthtool(['-k', 'ntb0'], env).stdout).toContain('generic-segmentation-offload: off\ngeneric-receive-offload: on\n');
  });

  it('reports a change next to one that did not come out, and one not asked for', () => {
    const { env } = lab();
    expect(runEthtool(['-K', 'ntb0', 'highdma', 'off', 'gso', 'on'], env)).toEqual({
      stdout: 'Actual changes:\nhighdma: off\ntx-generic-segmentation: off [requested on]\n',
      stderr: '',
      exitCode: 0,
    });
  });

  it('refuses an unknown feature at its attribute (offset after the header flags and the bits before it), changing nothing', () => {
    const { env, ntb } = lab();
    expect(runEthtool(['-K', 'ntb0', 'frob', 'on'], env)).toEqual({
      stdout: '',
      stderr: 'netlink error: bit name not found (offset 56)\n' + EOPNOTSUPP_NL,
      exitCode: 92,
    });
    expect(runEthtool(['-K', 'ntb0', 'gro', 'off', 'frob', 'on'], env).stderr).toBe('netlink error: bit name not found (offset 72)\n' + EOPNOTSUPP_NL);
    expect(runEthtool(['-K', 'ntb0', 'highdma', 'on', 'frob', 'on'], env).stderr).toContain('(offset 76)');
    expect(ntb.ndev.features).toBe(netdevFeatures('HIGHDMA', 'GRO'));
  });

  it('refuses vlan-challenged, a missing device, no privileges (exit 92), a bad value (exit 1) and the wildcard', () => {
    const { env, ntb } = lab();
    expect(runEthtool(['-K', 'ntb0', 'vlan-challenged', 'on'], env)).toEqual({
      stdout: '',
      stderr: 'netlink error: attempt to change non-ethtool features\nnetlink error: Invalid argument\n',
      exitCode: 92,
    });
    expect(runEthtool(['-K', 'nosuch', 'gro', 'off'], env)).toEqual({
      stdout: '',
      stderr: 'netlink error: no device matches name (offset 24)\nnetlink error: No such device\n',
      exitCode: 92,
    });
    expect(runEthtool(['-K', 'ntb0', 'highdma', 'off'], { ...env, capNetAdmin: false })).toEqual({
      stdout: '',
      stderr: 'netlink error: Operation not permitted\n',
      exitCode: 92,
    });
    expect(runEthtool(['-K', 'ntb0', 'gro', 'maybe'], env)).toEqual({
      stdout: '',
      stderr: "ethtool (-K): flag 'maybe' for parameter '(null)' is not followed by 'on' or 'off'\n",
      exitCode: 1,
    });
    expect(runEthtool(['-K', 'ntb0', 'gro'], env).stderr).toBe("ethtool (-K): flag '(null)' for parameter '(null)' is not followed by 'on' or 'off'\n");
    expect(runEthtool(['-K', '*', 'gro', 'off'], env)).toEqual({ stdout: '', stderr: 'subcommand does not support wildcard dump\n', exitCode: 1 });
    expect(runEthtool(['-K', 'ntb0'], env)).toEqual({ stdout: '', stderr: 'Could not change any device features\n', exitCode: 1 });
    expect(ntb.ndev.features).toBe(netdevFeatures('HIGHDMA', 'GRO'));
  });

  it('sends FEATURES_NTF to --monitor -k when dev->features changed, nothing otherwise', () => {
    const { env } = lab();
    const mon = runEthtool(['--monitor', '-k'], env).monitor;
    runEthtool(['-K', 'ntb0', 'gso', 'on'], env);
    expect(mon?.read()).toBe('');
    runEthtool(['-K', 'ntb0', 'highdma', 'off'], env);
    expect(mon?.read()).toBe(`\n${NTB0_FEATURES.replace('highdma: on\n', 'highdma: off\n')}`);
    const channelsOnly = runEthtool(['--monitor', '-l'], env).monitor;
    runEthtool(['-K', 'ntb0', 'highdma', 'on'], env);
    expect(channelsOnly?.read()).toBe('');
  });
});

describe('-K over SIOCETHTOOL (do_sfeatures)', () => {
  const io = (): ReturnType<typeof lab> => lab({ path: 'ioctl' });

  it('turns highdma off; "Actual changes:" when a flag pulls a feature along; "no features changed" without arguments', () => {
    const { env, ntb } = io();
    expect(runEthtool(['-K', 'ntb0', 'highdma', 'off'], env)).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(ntb.ndev.features).toBe(NETIF_F.GRO);
    expect(runEthtool(['-K', 'ntb0'], env)).toEqual({ stdout: 'no features changed\n', stderr: '', exitCode: 0 });
    expect(runEthtool(['-K', 'ntb0', 'gro', 'off', 'highdma', 'on'], env)).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(ntb.ndev.features).toBe(NETIF_F.HIGHDMA);
  });

  it('"Cannot change" a flag whose features are all fixed, then "Could not change any device features"', () => {
    const { env, ntb } = io();
    expect(runEthtool(['-K', 'ntb0', 'tx', 'on'], env)).toEqual({
      stdout: '',
      stderr: 'Cannot change tx-checksumming\nCould not change any device features\n',
      exitCode: 1,
    });
    expect(runEthtool(['-K', 'ntb0', 'gso', 'on'], env)).toEqual({ stdout: '', stderr: 'Could not change any device features\n', exitCode: 1 });
    expect(ntb.ndev.features).toBe(netdevFeatures('HIGHDMA', 'GRO'));
  });

  it('a bad command line for an unknown feature or value; EINVAL for vlan-challenged; the device looked up first', () => {
    const { env } = io();
    expect(runEthtool(['-K', 'ntb0', 'frob', 'on'], env)).toEqual({ stdout: '', stderr: BAD, exitCode: 1 });
    expect(runEthtool(['-K', 'ntb0', 'gro', 'maybe'], env)).toEqual({ stdout: '', stderr: BAD, exitCode: 1 });
    expect(runEthtool(['-K', 'ntb0', 'vlan-challenged', 'off'], env)).toEqual({ stdout: '', stderr: 'Cannot set device feature settings: Invalid argument\n', exitCode: 1 });
    expect(runEthtool(['-K', 'nosuch', 'frob', 'on'], env)).toEqual({ stdout: '', stderr: 'Cannot get device feature names: No such device\n', exitCode: 1 });
    expect(runEthtool(['-K', 'ntb0', 'highdma', 'off'], { ...env, capNetAdmin: false })).toEqual({
      stdout: '',
      stderr: 'Cannot set device feature settings: Operation not permitted\n',
      exitCode: 1,
    });
  });
});

describe('-g, -G (rings: no get_ringparam / set_ringparam)', () => {
  it('-g: "Operation not supported" (exit 1); over ioctl the banner first and exit 76; a dump prints nothing', () => {
    expect(runEthtool(['-g', 'ntb0'], lab().env)).toEqual({ stdout: '', stderr: EOPNOTSUPP_NL, exitCode: 1 });
    expect(runEthtool(['-g', '*'], lab().env)).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(runEthtool(['-g', 'ntb0'], lab({ path: 'ioctl' }).env)).toEqual({
      stdout: 'Ring parameters for ntb0:\n',
      stderr: 'Cannot get device ring settings: Operation not supported\n',
      exitCode: 76,
    });
  });

  it("-G: the kernel's order — policy (before the lookup), rx-buf-len, cqe-size, tx-push, then no ops — exit 81", () => {
    const { env } = lab();
    expect(runEthtool(['-G', 'ntb0', 'rx', '100'], env)).toEqual({ stdout: '', stderr: EOPNOTSUPP_NL, exitCode: 81 });
    expect(runEthtool(['-G', 'ntb0'], env)).toEqual({ stdout: '', stderr: EOPNOTSUPP_NL, exitCode: 81 });
    expect(runEthtool(['-G', 'ntb0', 'tx-push', 'on', 'cqe-size', '4'], env).stderr).toBe('netlink error: setting cqe size not supported (offset 44)\n' + EOPNOTSUPP_NL);
    expect(runEthtool(['-G', 'ntb0', 'tx', '1', 'tx-push', 'off'], env).stderr).toBe('netlink error: setting tx push not supported (offset 44)\n' + EOPNOTSUPP_NL);
    expect(runEthtool(['-G', 'ntb0', 'cqe-size', '2', 'rx-buf-len', '9'], env).stderr).toBe('netlink error: setting rx buf len not supported (offset 44)\n' + EOPNOTSUPP_NL);
    expect(runEthtool(['-G', 'nosuch', 'rx', '1', 'rx-buf-len', '0'], env)).toEqual({
      stdout: '',
      stderr: 'netlink error: integer out of range (offset 44)\nnetlink error: Numerical result out of range\n',
      exitCode: 81,
    });
    expect(runEthtool(['-G', 'nosuch', 'rx', '1'], env).stderr).toBe('netlink error: no device matches name (offset 24)\nnetlink error: No such device\n');
    expect(runEthtool(['-G', 'ntb0', 'rx', '1'], { ...env, capNetAdmin: false }).stderr).toBe('netlink error: Operation not permitted\n');
  });

  it("-G: nl_parser's complaints (exit 1) and the wildcard refused", () => {
    const { env } = lab();
    expect(runEthtool(['-G', 'ntb0', 'rx', 'x'], env).stderr).toBe("ethtool (-G): invalid value 'x' for parameter 'rx'\n");
    expect(runEthtool(['-G', 'ntb0', 'tx-push', '1'], env).stderr).toBe("ethtool (-G): invalid value '1' for parameter 'tx-push'\n");
    expect(runEthtool(['-G', 'ntb0', 'rx', '4294967296'], env).stderr).toBe("ethtool (-G): invalid value '4294967296' for parameter 'rx'\n");
    expect(runEthtool(['-G', 'ntb0', 'rx', '1', 'rx', '2'], env)).toEqual({ stdout: '', stderr: "ethtool (-G): duplicate parameter 'rx'\n", exitCode: 1 });
    expect(runEthtool(['-G', 'ntb0', 'rx'], env).stderr).toBe("ethtool (-G): no value for parameter 'rx'\n");
    expect(runEthtool(['-G', 'ntb0', 'foo', '1'], env).stderr).toBe("ethtool (-G): unknown parameter 'foo'\n");
    expect(runEthtool(['-G', '*', 'rx', '1'], env)).toEqual({ stdout: '', stderr: 'subcommand does not support wildcard dump\n', exitCode: 1 });
  });

  it('-G over ioctl: only rx, rx-mini, rx-jumbo, tx (s32), then GRINGPARAM fails: exit 76', () => {
    const { env } = lab({ path: 'ioctl' });
    expect(runEthtool(['-G', 'ntb0', 'rx', '-1', 'tx', '0x10'], env)).toEqual({ stdout: '', stderr: 'Cannot get device ring settings: Operation not supported\n', exitCode: 76 });
    expect(runEthtool(['-G', 'ntb0', 'tx-push', 'on'], env)).toEqual({ stdout: '', stderr: BAD, exitCode: 1 });
  });
});

describe('-c, -C (coalescing: no get_coalesce / set_coalesce), -a (no get_pauseparam)', () => {
  it('-c and -C: "Operation not supported", exit 1 over netlink; over ioctl exit 82 and 76', () => {
    const { env } = lab();
    expect(runEthtool(['-c', 'ntb0'], env)).toEqual({ stdout: '', stderr: EOPNOTSUPP_NL, exitCode: 1 });
    expect(runEthtool(['-C', 'ntb0', 'rx-usecs', '5', 'adaptive-rx', 'on', 'cqe-mode-rx', 'off'], env)).toEqual({ stdout: '', stderr: EOPNOTSUPP_NL, exitCode: 1 });
    expect(runEthtool(['-C', 'ntb0', 'adaptive-rx', 'yes'], env).stderr).toBe("ethtool (-C): invalid value 'yes' for parameter 'adaptive-rx'\n");
    const io = lab({ path: 'ioctl' }).env;
    expect(runEthtool(['-c', 'ntb0'], io)).toEqual({
      stdout: 'Coalesce parameters for ntb0:\n',
      stderr: 'Cannot get device coalesce settings: Operation not supported\n',
      exitCode: 82,
    });
    expect(runEthtool(['-C', 'ntb0', 'rx-usecs', '5'], io)).toEqual({ stdout: '', stderr: 'Cannot get device coalesce settings: Operation not supported\n', exitCode: 76 });
    expect(runEthtool(['-C', 'ntb0', 'cqe-mode-rx', 'on'], io).stderr).toBe(BAD);
  });

  it('-a: "Operation not supported" (exit 1), over ioctl the banner and exit 76', () => {
    expect(runEthtool(['-a', 'ntb0'], lab().env)).toEqual({ stdout: '', stderr: EOPNOTSUPP_NL, exitCode: 1 });
    expect(runEthtool(['-I', '-a', 'ntb0'], lab().env)).toEqual({ stdout: '', stderr: EOPNOTSUPP_NL, exitCode: 1 });
    expect(runEthtool(['-a', 'ntb0'], lab({ path: 'ioctl' }).env)).toEqual({
      stdout: 'Pause parameters for ntb0:\n',
      stderr: 'Cannot get device pause settings: Operation not supported\n',
      exitCode: 76,
    });
  });
});

describe('-T (time stamping: the core fills the software capabilities for a driver without get_ts_info)', () => {
  const T = 'Time stamping parameters for ntb0:\n';
  const NO_HW = 'PTP Hardware Clock: none\nHardware Transmit Timestamp Modes: none\nHardware Receive Filter Modes: none\n';

  it('prints software-receive and software-system-clock, over netlink and (with the constants) over ioctl', () => {
    expect(runEthtool(['-T', 'ntb0'], lab().env)).toEqual({ stdout: `${T}Capabilities:\n\tsoftware-receive\n\tsoftware-system-clock\n${NO_HW}`, stderr: '', exitCode: 0 });
    expect(runEthtool(['-T', 'ntb0'], lab({ path: 'ioctl' }).env).stdout).toBe(
      `${T}Capabilities:\n\tsoftware-receive      (SOF_TIMESTAMPING_RX_SOFTWARE)\n\tsoftware-system-clock (SOF_TIMESTAMPING_SOFTWARE)\n${NO_HW}`,
    );
  });

  it("adds the driver's own to them (lo's get_ts_info), dumps each device after a blank line", () => {
    expect(runEthtool(['-T', '*'], lab().env).stdout).toBe(
      `\nTime stamping parameters for lo:\nCapabilities:\n\tsoftware-transmit\n\tsoftware-receive\n\tsoftware-system-clock\n${NO_HW}` +
        `\n${T}Capabilities:\n\tsoftware-receive\n\tsoftware-system-clock\n${NO_HW}`,
    );
  });

  it("reports the driver's begin() error, and a missing device (exit 1; over ioctl after the banner, exit 255)", () => {
    const busy = fakeDevice({ name: 'busy0', beginRet: -ERRNO.EBUSY });
    const env: EthtoolEnv = { devices: new Map([['busy0', busy]]) };
    expect(runEthtool(['-T', 'busy0'], env)).toEqual({ stdout: '', stderr: 'netlink error: Device or resource busy\n', exitCode: 1 });
    expect(runEthtool(['-T', 'nosuch'], { ...env, path: 'ioctl' })).toEqual({
      stdout: 'Time stamping parameters for nosuch:\n',
      stderr: 'Cannot get device time stamping settings: No such device\n',
      exitCode: 255,
    });
  });
});

describe('-P (the permanent address: ntb_netdev_probe gave ntb0 its random address as perm_addr)', () => {
  it('prints it over rtnetlink and ioctl; lo has none ("not set" / zeros); a dump lists those that have one', () => {
    const { env } = lab();
    expect(runEthtool(['-P', 'ntb0'], env)).toEqual({ stdout: 'Permanent address: 02:11:22:33:44:55\n', stderr: '', exitCode: 0 });
    expect(runEthtool(['-P', 'ntb0', 'ignored'], env).stdout).toBe('Permanent address: 02:11:22:33:44:55\n');
    expect(runEthtool(['-P', 'lo'], env).stdout).toBe('Permanent address: not set\n');
    expect(runEthtool(['-P', '*'], env)).toEqual({ stdout: 'Permanent address of ntb0: 02:11:22:33:44:55\n', stderr: '', exitCode: 0 });
    expect(runEthtool(['-P', 'nosuch'], env)).toEqual({ stdout: '', stderr: 'netlink error: No such device\n', exitCode: 1 });
    const io = lab({ path: 'ioctl' }).env;
    expect(runEthtool(['-P', 'ntb0'], io).stdout).toBe('Permanent address: 02:11:22:33:44:55\n');
    expect(runEthtool(['-P', 'lo'], io).stdout).toBe('Permanent address: 00:00:00:00:00:00\n');
    expect(runEthtool(['-P', 'nosuch'], io)).toEqual({ stdout: '', stderr: 'Cannot read permanent address: No such device\n', exitCode: 255 });
  });
});

describe('-x, -d, -e (ioctl-only in ethtool 6.1: no get_rxnfc, get_regs or get_eeprom)', () => {
  it('-x: "Cannot get RX ring count" (exit 1) after parsing [context N]; the wildcard needs netlink', () => {
    const { env } = lab();
    expect(runEthtool(['-x', 'ntb0'], env)).toEqual({ stdout: '', stderr: 'Cannot get RX ring count: Operation not supported\n', exitCode: 1 });
    expect(runEthtool(['--show-rxfh', 'ntb0', 'context', '4294967294'], env).stderr).toBe('Cannot get RX ring count: Operation not supported\n');
    for (const args of [['context', '0'], ['context'], ['x']]) expect(runEthtool(['-x', 'ntb0', ...args], env).stderr).toBe(BAD);
    expect(runEthtool(['-x', '*'], env).stderr).toBe('ethtool netlink support for subcommand missing, wildcard dump not supported\n');
  });

  it('-d: the driver information, then "Cannot get register dump" (exit 74); -e the same with "Cannot get EEPROM data" (exit 74)', () => {
    const ntb = ntbLike();
    const drv = fakeDevice({ name: 'ntb0', drvinfo: { driver: 'ntb_netdev', version: '0.7' } });
    const env: EthtoolEnv = { devices: new Map([['ntb0', drv], ['bare0', ntb.dev]]) };
    expect(runEthtool(['-d', 'ntb0', 'raw', 'on', 'hex', 'off', 'file', '/tmp/x'], env)).toEqual({ stdout: '', stderr: 'Cannot get register dump: Operation not supported\n', exitCode: 74 });
    expect(runEthtool(['-e', 'ntb0', 'offset', '4', 'length', '8', 'raw', 'off'], env)).toEqual({ stdout: '', stderr: 'Cannot get EEPROM data: Operation not supported\n', exitCode: 74 });
    expect(runEthtool(['-d', 'bare0'], env)).toEqual({ stdout: '', stderr: 'Cannot get driver information: Operation not supported\n', exitCode: 72 });
    expect(runEthtool(['-e', 'bare0'], env)).toEqual({ stdout: '', stderr: 'Cannot get driver information: Operation not supported\n', exitCode: 74 });
    expect(runEthtool(['-d', 'ntb0'], { ...env, capNetAdmin: false }).stderr).toBe('Cannot get register dump: Operation not permitted\n');
    for (const argv of [['-d', 'ntb0', 'raw', 'maybe'], ['-e', 'ntb0', 'hex', 'on'], ['-e', 'ntb0', 'length', '-1'], ['-d', 'ntb0', 'file']]) {
      expect({ argv, r: runEthtool(argv, env) }).toEqual({ argv, r: { stdout: '', stderr: BAD, exitCode: 1 } });
    }
  });
});
