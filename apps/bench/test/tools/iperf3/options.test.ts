import { describe, expect, it } from 'vitest';
import { parseIperf3Args, USAGE_LONG, USAGE_SHORT, type ParseOutcome } from '../../../src/tools/iperf3/options.js';
import { paramsJson, resultsJson, type TestParams } from '../../../src/tools/iperf3/session.js';
import { unitAtof, unitAtofRate, unitAtoi, unitFormat } from '../../../src/tools/iperf3/units.js';
import { JsonObject } from '../../../src/tools/net/cjson.js';

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
    for (const ms of ['0', '5000', '86400000']) expect(parse(`-c h --snd-timeout ${ms}`)).toMatchObject({ stderr: `${paramError('an option you are trying to set is not implemented yet')}ntb-bench: iperf3 3.12 has --snd-timeout; the lab does not model it\n` });
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

  it('takes -n/--bytes and -k/--blockcount as unit_atoi numbers (K/M/G by 1024): the test has no -t end then (duration 0)', () => {
    expect(options('-c h -n 10M')).toMatchObject({ bytes: 10485760, blocks: 0, duration: 0 });
    expect(options('-c h --bytes=1.5k')).toMatchObject({ bytes: 1536, duration: 0 });
    expect(options('-c h -k 100')).toMatchObject({ blocks: 100, bytes: 0, duration: 0 });
    expect(options('-c h --blockcount 2K')).toMatchObject({ blocks: 2048, duration: 0 });
    // A count of 0 (or no number) is no end condition: -t's default stays.
    expect(options('-c h -n 0')).toMatchObject({ bytes: 0, duration: 10 });
    expect(options('-c h -n x')).toMatchObject({ bytes: 0, duration: 10 });
    expect(options('-c h -n 0 -t 3')).toMatchObject({ bytes: 0, duration: 3 });
    // A negative count is kept as the int64 iperf3's JSON shows (unsigned, no test reaches it).
    expect(options('-c h -n -1')).toMatchObject({ bytes: -1, duration: 0 });
  });

  it('refuses more than one end condition (IEENDCONDITIONS), whatever their order, and -n/-k on a server', () => {
    for (const line of ['-c h -t 5 -n 1M', '-c h -n 1M -t 5', '-c h -t 5 -k 10', '-c h -n 1M -k 10', '-c h -k 1 -n 1 -t 1', '-c h -t 0 -n 1M']) {
      expect.soft(parse(line)).toEqual({ kind: 'exit', stdout: '', stderr: paramError('only one test end condition (-t, -n, -k) may be specified'), status: 1 });
    }
    for (const line of ['-s -n 1M', '-s -k 5', '-s -T x', '-s --get-server-output', '-s --connect-timeout 100']) {
      expect.soft(parse(line)).toEqual({ kind: 'exit', stdout: '', stderr: paramError('some option you are trying to set is client only'), status: 1 });
    }
    // The role check comes first: a client's end conditions do not hide a server-only option.
    expect(parse('-c h -D -t 1 -n 1')).toEqual({ kind: 'exit', stdout: '', stderr: paramError('some option you are trying to set is server only'), status: 1 });
  });

  it('takes -V, -T, --timestamps[=FORMAT], --forceflush, --get-server-output, --cport and --connect-timeout', () => {
    expect(options('-c h')).toMatchObject({ verbose: false, title: null, timestamps: null, getServerOutput: false, cport: 0, connectTimeout: -1 });
    expect(options('-c h -V -T lab1 --get-server-output --forceflush')).toMatchObject({ verbose: true, title: 'lab1', getServerOutput: true });
    expect(options('-c h --timestamps').timestamps).toBe('%c ');
    expect(options('-c h --timestamps=%T|').timestamps).toBe('%T|');
    // getopt's optional argument: `--timestamps=` gives an empty format, and a separate word is no argument.
    expect(options('-c h --timestamps=').timestamps).toBe('');
    expect(options('-c h --timestamps %T').timestamps).toBe('%c ');
    expect(options('-c h --cport 6000 --connect-timeout 1k')).toMatchObject({ cport: 6000, connectTimeout: 1024 });
    // -V, --timestamps, --forceflush and --cport are neither client nor server options.
    expect(options('-s -V --timestamps --forceflush --cport 7000')).toMatchObject({ role: 's', verbose: true, timestamps: '%c ', cport: 7000 });
    for (const bad of ['0', '65536', 'x']) expect.soft(parse(`-c h --cport ${bad}`)).toEqual({ kind: 'exit', stdout: '', stderr: paramError('port number must be between 1 and 65535 inclusive'), status: 1 });
  });

  it('takes -S as strtol(…, 0) cut to an int, 0..255, and --dscp as dscp.c parse_qos: a name, or 0..63 shifted into the DSCP bits; both client only', () => {
    expect(options('-c h').tos).toBe(0);
    expect(options('-c h -S 0x10').tos).toBe(0x10);
    expect(options('-c h -S 020').tos).toBe(16);
    expect(options('-c h -S 184').tos).toBe(184);
    expect(options('-c h -S 16abc').tos).toBe(16);
    // (int) of the long: 2^32 + 16 keeps 16.
    expect(options('-c h -S 4294967312').tos).toBe(16);
    expect(options('-c h --dscp ef').tos).toBe(0xb8);
    expect(options('-c h --dscp AF41').tos).toBe(0x88);
    expect(options('-c h --dscp lowdelay').tos).toBe(0x10);
    expect(options('-c h --dscp 46').tos).toBe(184);
    expect(options('-c h --dscp 0x2e').tos).toBe(184);
    expect(options('-c h -S 16 --dscp cs1').tos).toBe(0x20);
    const badTos = paramError('bad TOS value (must be between 0 and 255 inclusive)');
    for (const bad of ['-S 256', '-S -1', '-S abc', '-S 99999999999', '--dscp 64', '--dscp 46x', '--dscp -1', '--dscp af5']) {
      expect.soft(parse(`-c h ${bad}`)).toEqual({ kind: 'exit', stdout: '', stderr: badTos, status: 1 });
    }
    for (const opt of ['-S', '--dscp']) expect.soft(parseIperf3Args(['iperf3', '-c', 'h', opt, ''], SYS)).toEqual({ kind: 'exit', stdout: '', stderr: badTos, status: 1 });
    for (const line of ['-s -S 16', '-s --dscp ef']) expect.soft(parse(line)).toEqual({ kind: 'exit', stdout: '', stderr: paramError('some option you are trying to set is client only'), status: 1 });
  });

  it('takes -M with atoi up to MAX_MSS (9216), client only; what atoi makes of garbage is 0, no TCP_MAXSEG', () => {
    expect(options('-c h').mss).toBe(0);
    expect(options('-c h -M 1400').mss).toBe(1400);
    expect(options('-c h -M 9216').mss).toBe(9216);
    expect(options('-c h -M 9k').mss).toBe(9);
    expect(options('-c h -M x').mss).toBe(0);
    expect(options('-c h -M -5').mss).toBe(-5);
    expect(parse('-c h -M 9217')).toEqual({ kind: 'exit', stdout: '', stderr: paramError('TCP MSS too large (maximum = 9216 bytes)'), status: 1 });
    expect(parse('-s -M 1400')).toEqual({ kind: 'exit', stdout: '', stderr: paramError('some option you are trying to set is client only'), status: 1 });
  });

  it('warns that -V may interfere with -J, after the -f warning', () => {
    const r = parse('-c h -J -V -f m');
    expect(r.kind === 'run' ? r.warnings : '').toBe('warning: Report format (-f) flag ignored with JSON output (-J)\nwarning: Verbose output (-v) may interfere with JSON output (-J)\n');
    const quiet = parse('-c h -V');
    expect(quiet.kind === 'run' ? quiet.warnings : 'x').toBe('');
  });

  it('puts the time before a parameter error once --timestamps was parsed (iperf_err), not when it comes after the error', () => {
    const secs = 1795311015;
    const stamped = parseIperf3Args(['iperf3', '--timestamps', '-c', 'h', '-t', '5', '-n', '1M'], SYS, secs);
    expect(stamped).toEqual({ kind: 'exit', stdout: '', stderr: `Sun Nov 22 01:30:15 2026 iperf3: parameter error - only one test end condition (-t, -n, -k) may be specified\n\n${USAGE_SHORT}`, status: 1 });
    expect(parseIperf3Args(['iperf3', '--timestamps=%s:', '-c', 'h', '-p', '0'], SYS, secs)).toMatchObject({ stderr: `1795311015:iperf3: parameter error - port number must be between 1 and 65535 inclusive\n\n${USAGE_SHORT}` });
    // Parsed after the failing option: never seen.
    expect(parseIperf3Args(['iperf3', '-c', 'h', '-p', '0', '--timestamps'], SYS, secs)).toMatchObject({ stderr: paramError('port number must be between 1 and 65535 inclusive') });
  });

  it('still refuses, with IEUNIMP, the options whose mechanism the lab lacks, and says the gap is the lab\'s', () => {
    const refused = ['-6', '-L 5', '-F f', '-d', '--debug=2', '-I /tmp/p', '--extra-data x', '--repeating-payload', '--udp-counters-64bit', '--dont-fragment', '--fq-rate 1M', '--no-fq-socket-pacing', '--pacing-timer 100', '--rcv-timeout 1000'];
    // A long option with a short form is named by the short one (`--debug` is `-d`).
    const gap = (opt: string): string => `ntb-bench: iperf3 3.12 has ${opt.startsWith('--debug') ? '-d' : (opt.split(/[ =]/)[0] ?? '')}; the lab does not model it\n`;
    for (const opt of refused) expect.soft(parse(`-c h ${opt}`)).toEqual({ kind: 'exit', stdout: '', stderr: paramError('an option you are trying to set is not implemented yet') + gap(opt), status: 1 });
    for (const opt of ['--idle-timeout 5', '--server-bitrate-limit 1M', '-X 10.0.0.2']) expect.soft(parse(`-s ${opt}`)).toMatchObject({ stderr: paramError('an option you are trying to set is not implemented yet') + gap(opt) });
  });

  it('sends -n, -k, -b …/N, -T and --get-server-output in the parameters (send_parameters), and a server output in the results (send_results)', () => {
    const p: TestParams = { protocol: 'TCP', numStreams: 1, blksize: 131072, socketBufsize: 0, rate: 0, duration: 0, omit: 0, reverse: false, bidir: false, zerocopy: false, noDelay: false, congestion: null, tos: 0, mss: 0, interval: 1, serverAffinity: -1, cookie: 'c', bytes: 0, blocks: 0, burst: 0, title: null, getServerOutput: false };
    expect(paramsJson(p)).toBe('{"tcp":true,"omit":0,"time":0,"parallel":1,"len":131072,"pacing_timer":1000,"client_version":"3.12"}');
    expect(paramsJson({ ...p, bytes: 1048576, title: 'a "t"', getServerOutput: true })).toBe('{"tcp":true,"omit":0,"time":0,"num":1048576,"parallel":1,"len":131072,"pacing_timer":1000,"title":"a \\"t\\"","get_server_output":1,"client_version":"3.12"}');
    expect(paramsJson({ ...p, blocks: 7, rate: 1e6, burst: 4 })).toContain('"time":0,"blockcount":7,"parallel":1,');
    expect(paramsJson({ ...p, blocks: 7, rate: 1e6, burst: 4 })).toContain('"pacing_timer":1000,"burst":4,');
    const r = { senderHasRetransmits: false, cpuPercent: 1, congestionUsed: null, streams: [] };
    expect(resultsJson({ ...r, serverOutput: null })).toBe('{"cpu_util_total":1,"cpu_util_user":0,"cpu_util_system":1,"sender_has_retransmits":0,"streams":[]}');
    expect(resultsJson({ ...r, serverOutput: { kind: 'text', text: 'a\n' } })).toBe('{"cpu_util_total":1,"cpu_util_user":0,"cpu_util_system":1,"sender_has_retransmits":0,"server_output_text":"a\\n","streams":[]}');
    const doc = new JsonObject().add('end', new JsonObject().add('x', [1, 2]));
    expect(resultsJson({ ...r, serverOutput: { kind: 'json', doc } })).toBe('{"cpu_util_total":1,"cpu_util_user":0,"cpu_util_system":1,"sender_has_retransmits":0,"server_output_json":{"end":{"x":[1,2]}},"streams":[]}');
  });
});

