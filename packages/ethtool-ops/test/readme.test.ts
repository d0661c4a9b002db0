import { expect, it } from 'vitest';
import { createEthtoolNotifier, runEthtool, type EthtoolDevice } from '../src/index.js';

it('the README example does what it says', () => {
  let combined = 1;
  const ntb0: EthtoolDevice = {
    name: 'ntb0',
    isUp: true,
    get realNumRxQueues() {
      return combined;
    },
    get realNumTxQueues() {
      return combined;
    },
    ethtoolOps: {
      getDrvinfo: () => ({ driver: 'ntb_netdev', version: '0.7', busInfo: '0000:01:00.0' }),
      getChannels: () => ({ maxRx: 0, maxTx: 0, maxOther: 0, maxCombined: 64, rxCount: 0, txCount: 0, otherCount: 0, combinedCount: combined }),
      setChannels: (ch) => {
        combined = ch.combinedCount;
        return 0;
      },
    },
  };
  const env = { devices: new Map([['ntb0', ntb0]]), notifier: createEthtoolNotifier() };
  const started = runEthtool(['--monitor', '-L', 'ntb0'], env);
  expect(started.stdout).toBe('listening...\n');
  expect(runEthtool(['-L', 'ntb0', 'combined', '4'], env)).toEqual({ stdout: '', stderr: '', exitCode: 0 });
  expect(runEthtool(['-L', 'ntb0', 'combined', '65'], env).stderr).toBe(
    'netlink error: requested channel count exceeds maximum (offset 36)\nnetlink error: Invalid argument\n',
  );
  expect(runEthtool(['-l', 'ntb0'], { ...env, path: 'ioctl' }).stdout).toMatch(/RX:\t\t0\n(.|\n)*Combined:\t4\n\n$/);
  expect(started.monitor?.read()).toMatch(/^\nChannel parameters for ntb0:\n(.|\n)*Combined:\t4\n$/);
});
