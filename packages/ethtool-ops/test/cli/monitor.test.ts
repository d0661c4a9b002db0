import { describe, expect, it } from 'vitest';
import { createEthtoolNotifier, runEthtool, type EthtoolEnv } from '../../src/index.js';
import { combinedOnly, fakeDevice, rxTxOnly } from '../fakeDevice.js';

function lab(path: 'netlink' | 'ioctl' = 'netlink') {
  const ntb = fakeDevice({ name: 'ntb0', channels: combinedOnly(64, 1), queueBudget: 8 });
  const veth = fakeDevice({ name: 'veth0', channels: rxTxOnly(8, 8, 8) });
  const notifier = createEthtoolNotifier();
  const env: EthtoolEnv = { devices: new Map([['ntb0', ntb], ['veth0', veth]]), notifier, path };
  return { ntb, env, notifier };
}

const ntbBlock = (count: number): string =>
  '\nChannel parameters for ntb0:\nPre-set maximums:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t64\n' +
  `Current hardware settings:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t${count}\n`;

describe('ethtool --monitor', () => {
  it('prints "listening..." and then one block per successful channel change', () => {
    const { env } = lab();
    const m = runEthtool(['--monitor'], env);
    expect({ stdout: m.stdout, stderr: m.stderr, exitCode: m.exitCode }).toEqual({ stdout: 'listening...\n', stderr: '', exitCode: 0 });
    const mon = m.monitor;
    expect(mon).toBeDefined();
    const lines: string[] = [];
    mon?.onLine((l) => lines.push(l));
    runEthtool(['-L', 'ntb0', 'combined', '4'], env);
    expect(mon?.read()).toBe(ntbBlock(4));
    expect(lines).toEqual(ntbBlock(4).slice(0, -1).split('\n'));
    expect(mon?.read()).toBe('');
  });

  it('accepts every filter of ethtool 6.1 monitor_opts[]; those the model never emits stay silent', () => {
    for (const opt of ['-s', '--change', '--show-eee', '--set-eee', '--cable-test', '--cable-test-tdr', '--show-module', '--set-module']) {
      const { env } = lab();
      const m = runEthtool(['--monitor', opt, 'ntb0'], env);
      expect({ opt, stdout: m.stdout, stderr: m.stderr, exitCode: m.exitCode }).toEqual({ opt, stdout: 'listening...\n', stderr: '', exitCode: 0 });
      runEthtool(['-L', 'ntb0', 'combined', '4'], env);
      expect(m.monitor?.read()).toBe('');
    }
    expect(runEthtool(['--monitor', '--show-fec', 'ntb0'], lab().env)).toEqual({
      stdout: '',
      stderr: "monitoring for option 'ntb0' not supported\n",
      exitCode: 1,
    });
  });

  it('stays silent for rejected, failed and no-op requests, on both paths', () => {
    const { env } = lab();
    const mon = runEthtool(['--monitor', '-L'], env).monitor;
    runEthtool(['-L', 'ntb0', 'combined', '65'], env);
    runEthtool(['-L', 'ntb0', 'combined', '1'], env);
    runEthtool(['-L', 'ntb0', 'combined', '40'], env);
    runEthtool(['-L', 'ntb0', 'combined', '0'], { ...env, path: 'ioctl' });
    runEthtool(['-L', 'ntb0', 'combined', '1'], { ...env, path: 'ioctl' });
    expect(mon?.read()).toBe('');
    runEthtool(['-L', 'ntb0', 'combined', '3'], { ...env, path: 'ioctl' });
    expect(mon?.read()).toBe(ntbBlock(3));
  });

  it('filters by device and by option', () => {
    const { env } = lab();
    const onlyNtb = runEthtool(['--monitor', '--show-channels', 'ntb0'], env).monitor;
    const all = runEthtool(['--monitor', '--all', '*'], env).monitor;
    const links = runEthtool(['--monitor', '-s'], env).monitor;
    runEthtool(['-L', 'veth0', 'rx', '2'], env);
    runEthtool(['-L', 'ntb0', 'combined', '2'], env);
    expect(onlyNtb?.read()).toBe(ntbBlock(2));
    expect(all?.read()).toMatch(/^\nChannel parameters for veth0:\n(.|\n)*\nChannel parameters for ntb0:\n/);
    expect(links?.read()).toBe('');
  });

  it('stops after close()', () => {
    const { env, notifier } = lab();
    const mon = runEthtool(['--monitor'], env).monitor;
    expect(notifier.hasListeners()).toBe(true);
    mon?.close();
    mon?.close();
    expect(mon?.closed).toBe(true);
    expect(notifier.hasListeners()).toBe(false);
    runEthtool(['-L', 'ntb0', 'combined', '2'], env);
    expect(mon?.read()).toBe('');
  });

  it('lets a line listener unsubscribe', () => {
    const { env } = lab();
    const mon = runEthtool(['--monitor'], env).monitor;
    const lines: string[] = [];
    const off = mon?.onLine((l) => lines.push(l));
    off?.();
    runEthtool(['-L', 'ntb0', 'combined', '2'], env);
    expect(lines).toEqual([]);
  });

  it('refuses an unknown option (naming the word after it, as the real tool does)', () => {
    const { env } = lab();
    expect(runEthtool(['--monitor', '--bogus'], env)).toEqual({ stdout: '', stderr: "monitoring for option '(null)' not supported\n", exitCode: 1 });
    expect(runEthtool(['--monitor', '--bogus', 'ntb0'], env).stderr).toBe("monitoring for option 'ntb0' not supported\n");
  });

  it('complains about a missing device but keeps listening', () => {
    const { env } = lab();
    const r = runEthtool(['--monitor', '-l', 'nosuchdev'], env);
    expect(r.stdout).toBe('listening...\n');
    expect(r.stderr).toBe('netlink error: no device matches name (offset 24)\nnetlink error: No such device\n');
    expect(r.monitor).toBeDefined();
  });

  it('is unavailable without the netlink interface or the monitor group', () => {
    expect(runEthtool(['--monitor'], lab('ioctl').env)).toEqual({
      stdout: '',
      stderr: 'Netlink interface initialization failed, option --monitor not supported.\n',
      exitCode: 1,
    });
    const { devices } = lab().env;
    expect(runEthtool(['--monitor'], { devices })).toEqual({ stdout: '', stderr: "multicast group 'monitor' not found\n", exitCode: 1 });
  });
});
