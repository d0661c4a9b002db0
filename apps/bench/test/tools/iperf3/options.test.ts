import { describe, expect, it } from 'vitest';
import { parseIperf3Args, USAGE_LONG, USAGE_SHORT, type ParseOutcome } from '../../../src/tools/iperf3/options.js';
import { unitAtof, unitAtofRate, unitAtoi, unitFormat } from '../../../src/tools/iperf3/units.js';

const SYS = 'Linux ep 6.18.0 #1 SMP PREEMPT aarch64';
const parse = (line: string): ParseOutcome => parseIperf3Args(['iperf3', ...line.split(' ').filter((w) => w !== '')], SYS);
const paramError = (msg: string): string => `iperf3: parameter error - ${msg}\n\n${USAGE_SHORT}`;

function options(line: string): Extract<ParseOutcome, { kind: 'run' }>['options'] {
  const r = parse(line);
  if (r.kind !== 'run') throw new Error(`unexpected exit: ${r.stderr}`);
  return r.options;
}

describe('iperf3 options', () => {
  it('parses the seed command lines, grouped flags and attached arguments included', () => {
    const tcp = options('-Z -c 10.0.0.1 -l 65480 -w 512M -P 4');
    expect(tcp).toMatchObject({ role: 'c', host: '10.0.0.1', zerocopy: true, blksize: 65480, socketBufsize: 536870912, numStreams: 4, protocol: 'TCP', rate: 0, duration: 10, interval: 1, port: 5201 });
    const udp = options('-ub0 -c 10.0.0.1 -l 65480 -w 512M -P 4');
    expect(udp).toMatchObject({ protocol: 'UDP', rate: 0, blksize: 65480, numStreams: 4 });
    expect(options('-s')).toMatchObject({ role: 's', port: 5201 });
  });

  it('applies iperf3 defaults and units', () => {
    expect(options('-c h')).toMatchObject({ blksize: 131072, rate: 0 });
    expect(options('-c h -u')).toMatchObject({ blksize: 0, rate: 1048576 });
    expect(options('-c h -u -b 10M/5')).toMatchObject({ rate: 10e6, burst: 5 });
    expect(options('-c h --parallel=3 --time 2 -i 0.5 -J -R')).toMatchObject({ numStreams: 3, duration: 2, interval: 0.5, json: true, reverse: true });
    expect(options('-c h --bidir --par 2 --window 1K')).toMatchObject({ bidir: true, numStreams: 2, socketBufsize: 1024 });
    expect(unitAtof('2k')).toBe(2048);
    expect(unitAtoi('1.5M')).toBe(1572864);
    expect(unitAtofRate('1.5G')).toBe(1.5e9);
    expect(unitAtof('x')).toBe(0);
    expect(unitFormat(975175680, 'A')).toBe(' 930 MByte');
    expect(unitFormat(975175680, 'a')).toBe('7.80 Gbit');
    expect(unitFormat(1047552, 'A')).toBe('1023 KByte');
    expect(unitFormat(512, 'A')).toBe(' 512 Byte');
  });

  it('reports parameter errors with iperf3 texts and exit status 1', () => {
    const cases: [string, string][] = [
      ['-c h -P 129', 'number of parallel streams too large (maximum = 128)'],
      ['-s -c h', 'cannot be both server and client'],
      ['-c h -s', 'cannot be both server and client'],
      ['-P 2', 'must either be a client (-c) or server (-s)'],
      ['-s -u', 'some option you are trying to set is client only'],
      ['-c h -1', 'some option you are trying to set is server only'],
      ['-c h -p 0', 'port number must be between 1 and 65535 inclusive'],
      ['-c h -p 70000', 'port number must be between 1 and 65535 inclusive'],
      ['-c h -l 2M', 'block size too large (maximum = 1048576 bytes)'],
      ['-c h -u -l 65508', 'block size invalid (minimum = 16 bytes, maximum = 65507 bytes)'],
      ['-c h -w 513M', 'socket buffer size too large (maximum = 536870912 bytes)'],
      ['-c h -i 0.05', 'invalid report interval (min = 0.1, max = 60 seconds)'],
      ['-c h -R --bidir', 'cannot be both reverse and bidirectional'],
      ['-c h -b 1M/0', 'invalid burst count (maximum = 1000)'],
      ['-c h -f x', 'bad format specifier (valid formats are in the set [kmgtKMGT])'],
      ['-c h -t 90000', 'test duration too long (maximum = 86400 seconds)'],
      ['-c h -t 86401', 'test duration too long (maximum = 86400 seconds)'],
      ['-c h -O 61', 'bogus value for --omit'],
      ['-s -N', 'some option you are trying to set is client only'],
      ['-c h -A x', 'unable to set CPU affinity: '],
      ['-c h -A 1025', 'unable to set CPU affinity: '],
      ['-c h -A -1', 'unable to set CPU affinity: '],
      ['-c h -A 1,2000', 'unable to set CPU affinity: '],
      ['-s -A 1,2', 'some option you are trying to set is client only'],
    ];
    for (const [line, msg] of cases) expect.soft(parse(line)).toEqual({ kind: 'exit', stdout: '', stderr: paramError(msg), status: 1 });
  });

  it('checks -t and -P only against their maximum, as 3.12 does (atoi: -t abc is 0, -P x is 0)', () => {
    expect(options('-c h -t 86400').duration).toBe(86400);
    expect(options('-c h -t 0').duration).toBe(0);
    expect(options('-c h -t abc').duration).toBe(0);
    expect(options('-c h -t -1').duration).toBe(-1);
    expect(options('-c h -P 0').numStreams).toBe(0);
    expect(options('-c h -P x').numStreams).toBe(0);
    expect(options('-c h -P 128').numStreams).toBe(128);
  });

  it('parses -A n[,m] as iperf3 does: strtol base 0 for n, atoi for m', () => {
    const opts = (line: string) => {
      const r = parse(line);
      return r.kind === 'run' ? { affinity: r.options.affinity, serverAffinity: r.options.serverAffinity } : r;
    };
    expect(opts('-c h')).toEqual({ affinity: -1, serverAffinity: -1 });
    expect(opts('-c h -A 3')).toEqual({ affinity: 3, serverAffinity: -1 });
    expect(opts('-c h -A 0x2,5')).toEqual({ affinity: 2, serverAffinity: 5 });
    expect(opts('-c h -A 010')).toEqual({ affinity: 8, serverAffinity: -1 });
    expect(opts('-s -A 1')).toEqual({ affinity: 1, serverAffinity: -1 });
  });

  it('reports getopt errors as glibc does, followed by the long usage', () => {
    expect(parse('-c h -x')).toEqual({ kind: 'exit', stdout: '', stderr: `iperf3: invalid option -- 'x'\n${USAGE_LONG}`, status: 1 });
    expect(parse('-c')).toEqual({ kind: 'exit', stdout: '', stderr: `iperf3: option requires an argument -- 'c'\n${USAGE_LONG}`, status: 1 });
    expect(parse('-c h --nope')).toEqual({ kind: 'exit', stdout: '', stderr: `iperf3: unrecognized option '--nope'\n${USAGE_LONG}`, status: 1 });
    expect(parse('-c h --b 1')).toMatchObject({ stderr: expect.stringContaining("iperf3: option '--b' is ambiguous; possibilities:") as unknown });
    expect(parse('-c h --udp=1')).toMatchObject({ stderr: expect.stringContaining("iperf3: option '--udp' doesn't allow an argument\n") as unknown });
  });

  it("takes 3.12's --bind-dev DEV and -c HOST%DEV (iperf_parse_hostname's strtok at %), the last one given winning", () => {
    expect(options('-c 10.0.0.1')).toMatchObject({ host: '10.0.0.1', bindDev: null });
    expect(options('-c 10.0.0.1 --bind-dev ntb0')).toMatchObject({ host: '10.0.0.1', bindDev: 'ntb0' });
    expect(options('-c 10.0.0.1%ntb0')).toMatchObject({ host: '10.0.0.1', bindDev: 'ntb0' });
    expect(options('--bind-dev eth0 -c 10.0.0.1%ntb0')).toMatchObject({ bindDev: 'ntb0' });
    expect(options('-c 10.0.0.1%ntb0 --bind-dev=eth0')).toMatchObject({ bindDev: 'eth0' });
    // No device after the %: the whole word stays the host (and does not resolve).
    expect(options('-c 10.0.0.1%')).toMatchObject({ host: '10.0.0.1%', bindDev: null });
    expect(options('-s --bind-dev ntb0')).toMatchObject({ role: 's', bindDev: 'ntb0' });
  });

  it("checks --snd-timeout as 3.12 does (0 to 86400000 ms, IESNDTIMEOUT with perr's ': '), then refuses it: the lab's TCP has no TCP_USER_TIMEOUT", () => {
    expect(parse('-c h --snd-timeout -1')).toEqual({ kind: 'exit', stdout: '', stderr: paramError('send timeout value is incorrect or not in range: '), status: 1 });
    expect(parse('-c h --snd-timeout 86400001')).toMatchObject({ stderr: paramError('send timeout value is incorrect or not in range: ') });
    for (const ms of ['0', '5000', '86400000']) expect(parse(`-c h --snd-timeout ${ms}`)).toMatchObject({ stderr: paramError('an option you are trying to set is not implemented yet') });
  });

  it("has 3.12's option table for this build (no SSL, no SCTP): later and absent options are unrecognized", () => {
    for (const opt of ['--use-pkcs1-padding', '--json-stream', '--cntl-ka', '--mptcp', '--skip-rx-copy', '--username=u', '--rsa-public-key-path=k', '--sctp', '--nstreams=2']) {
      expect(parse(`-c h ${opt}`)).toEqual({ kind: 'exit', stdout: '', stderr: `iperf3: unrecognized option '${opt}'\n${USAGE_LONG}`, status: 1 });
    }
  });

  it("documents in -h exactly 3.12's usage lines for --bind-dev, -B/-c with %<dev>, --snd-timeout and -w, and accepts every long option it documents", () => {
    expect(USAGE_LONG).toContain(
      '  -B, --bind <host>[%<dev>] bind to the interface associated with the address <host>\n' +
        '                            (optional <dev> equivalent to `--bind-dev <dev>`)\n' +
        '  --bind-dev <dev>          bind to the network interface with SO_BINDTODEVICE\n',
    );
    expect(USAGE_LONG).toContain('  --rcv-timeout #           idle timeout for receiving data (default 120000 ms)\n  --snd-timeout #           timeout for unacknowledged TCP data\n                            (in ms, default is system settings)\n');
    expect(USAGE_LONG).toContain('  -c, --client <host>[%<dev>] run in client mode, connecting to <host>\n                              (option <dev> equivalent to `--bind-dev <dev>`)\n');
    expect(USAGE_LONG).toContain('  -w, --window    #[KMG]    set send/receive socket buffer sizes\n                            (indirectly sets TCP window size)\n');
    expect(USAGE_LONG).not.toMatch(/pkcs1|--username|--sctp/);
    const documented = [...USAGE_LONG.matchAll(/^ {2}(?:-\w, )?--([a-z0-9-]+)/gm)].map((m) => m[1] as string);
    expect(documented).toHaveLength(54);
    for (const name of documented) expect.soft(parse(`-c h --${name}=1`).kind === 'exit' ? (parse(`-c h --${name}=1`) as { stderr: string }).stderr : '').not.toMatch(/unrecognized option/);
  });

  it('prints help and version on stdout with status 0', () => {
    expect(parse('-h')).toEqual({ kind: 'exit', stdout: USAGE_LONG, stderr: '', status: 0 });
    const v = parse('--version');
    expect(v).toMatchObject({ kind: 'exit', status: 0 });
    expect(v.kind === 'exit' ? v.stdout : '').toMatch(/^iperf 3\.12 \(cJSON 1\.7\.15\)\nLinux ep/);
  });
});
