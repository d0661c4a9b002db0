import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import * as lab from '../src/lab/lab.js';
import { runCli as run } from './runCli.js';

describe('ntb-bench CLI', () => {
  it('rejects bad global options, naming the option and what is allowed, with status 2', async () => {
    expect(await run(['--seed', 'x', 'lab'])).toMatchObject({ code: 2, err: expect.stringContaining("--seed: 'x' is not an integer in 0..4294967295") as string });
    expect(await run(['--doorbell', 'msi', 'lab'])).toMatchObject({ code: 2, err: expect.stringContaining("--doorbell: 'msi' is not one of legacy, per-bit (or per board: rc=MODE,ep=MODE)") as string });
    const doorbell: [string, string][] = [
      ['rc=msi', "--doorbell: 'rc=msi': the mode must be one of legacy, per-bit"],
      ['ep=per-bit,xx=legacy', "--doorbell: 'xx=legacy': the board must be rc or ep"],
      ['rc=legacy,rc=per-bit', "--doorbell: board 'rc' given twice in 'rc=legacy,rc=per-bit'"],
      ['rc=legacy=per-bit', "--doorbell: 'rc=legacy=per-bit': the mode must be one of legacy, per-bit"],
      ['rc=legacy,', "--doorbell: '': the board must be rc or ep"],
    ];
    for (const [v, msg] of doorbell) expect.soft({ v, ...(await run(['--doorbell', v, 'lab'])) }).toMatchObject({ v, code: 2, out: '', err: expect.stringMatching(new RegExp(`^ntb-bench: ${msg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`)) as string });
    for (const bad of ['0', '5', 'two']) expect(await run(['--mws', bad, 'lab'])).toMatchObject({ code: 2, err: expect.stringContaining(`--mws: '${bad}' is not a memory window count in 1..4`) as string });
    expect(await run(['--ep-doorbell', 'msi', 'lab'])).toMatchObject({ code: 2, err: expect.stringContaining("--ep-doorbell: 'msi' is not one of poll, irq") as string });
    expect(await run(['--bogus'])).toMatchObject({ code: 2, err: expect.stringContaining("unknown option '--bogus'") as string });
    expect(await run(['frobnicate'])).toMatchObject({ code: 2, err: expect.stringContaining("unknown command 'frobnicate'") as string });
    expect((await run(['--seed'])).err).toContain("option '--seed' requires an argument");
  });

  it('runs ping one-shot from the EP to the RC, as the real tool prints and exits', async () => {
    const ok = await run(['ping', '-c', '2', '-i', '0.2', '10.0.0.1']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^PING 10\.0\.0\.1 \(10\.0\.0\.1\) 56\(84\) bytes of data\.\n64 bytes from 10\.0\.0\.1: icmp_seq=1 ttl=64 time=[\d.]+ ms\n/);
    expect(ok.out).toContain('2 packets transmitted, 2 received, 0% packet loss');
    expect(await run(['ping', '-c', '1', '192.168.5.5'])).toMatchObject({ code: 2, err: 'ping: connect: Network is unreachable\n' });
  });

  it('one-shot iperf3 -s (or --server, -sD) is refused: the one-shot lab runs a client against its own server', async () => {
    for (const s of [['-s'], ['--server'], ['-sD']]) {
      expect(await run(['iperf3', ...s])).toEqual({ code: 2, out: '', err: "ntb-bench: iperf3: the one-shot iperf3 runs a client on the EP against the lab's server on the RC (10.0.0.1, port 5201); to run a server of your own, use a lab script (ntb-bench lab)\n" });
    }
  });

  it('--ep-doorbell irq gives the EP an interrupt per host doorbell: ping no longer waits for its msecs_to_jiffies(5) (8 ms) poll', async () => {
    const rtt = (out: string): number => Number(/rtt min\/avg\/max\/mdev = [\d.]+\/([\d.]+)\//.exec(out)?.[1]);
    const polled = await run(['ping', '-c', '3', '-i', '0.2', '-q', '10.0.0.1']);
    const irq = await run(['--ep-doorbell', 'irq', 'ping', '-c', '3', '-i', '0.2', '-q', '10.0.0.1']);
    expect([polled.code, irq.code]).toEqual([0, 0]);
    expect(rtt(polled.out)).toBeGreaterThan(1);
    expect(rtt(irq.out)).toBeLessThan(0.5);
    expect(await run(['--ep-doorbell', 'irq', 'reproduce'])).toMatchObject({ code: 2, err: expect.stringContaining('--ep-doorbell does not apply') as string });
  });

  it('--sysctl sets a sysctl on both boards at boot, before ntb0 first comes up; bad ones are refused by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntbsim-cli-'));
    const script = join(dir, 's.lab');
    writeFileSync(script, 'rc$ sysctl net.core.default_qdisc net.core.wmem_max\nep$ sysctl net.ipv4.tcp_congestion_control\n');
    expect(await run(['--sysctl', 'net.core.default_qdisc=fq_codel', '--sysctl', 'net.ipv4.tcp_congestion_control=reno', 'lab', script])).toMatchObject({
      code: 0,
      out: 'rc$ sysctl net.core.default_qdisc net.core.wmem_max\nnet.core.default_qdisc = fq_codel\nnet.core.wmem_max = 1073741824\nep$ sysctl net.ipv4.tcp_congestion_control\nnet.ipv4.tcp_congestion_control = reno\n',
    });
    expect((await run(['--sysctl', 'net.core.wmem_max=212992', 'lab', script])).out).toContain('net.core.wmem_max = 212992\n');
    expect(await run(['--sysctl', 'qdisc', 'lab'])).toMatchObject({ code: 2, err: expect.stringContaining("--sysctl: 'qdisc' is not NAME=VALUE") as string });
    expect(await run(['--sysctl', 'net.core.somaxconn=1', '--sysctl', 'net.core.somaxconn=2', 'lab'])).toMatchObject({ code: 2, err: expect.stringContaining('--sysctl: net.core.somaxconn given twice') as string });
    expect(await run(['--sysctl', 'net.core.default_qdisc=sfq', 'ping', '-c', '1', '10.0.0.1'])).toMatchObject({ code: 1, out: '', err: expect.stringContaining('net.core.default_qdisc "sfq": allowed pfifo_fast, fq_codel') as string });
    expect(await run(['--sysctl', 'net.core.default_qdisc=fq_codel', 'reproduce'])).toMatchObject({ code: 2, err: expect.stringContaining('--sysctl does not apply') as string });
  });

  it('rejects bad module parameters and profiles with status 1', async () => {
    expect(await run(['--param', 'ntb_transport.use_dma=maybe', 'lab'])).toMatchObject({ code: 1, err: expect.stringContaining("'maybe' invalid for parameter 'use_dma'") as string });
    expect(await run(['--profile', 'rcar-s5', 'lab'])).toMatchObject({ code: 1, err: expect.stringContaining('allowed rcar-s4, x86-server') as string });
    const dir = mkdtempSync(join(tmpdir(), 'ntbsim-cli-'));
    const bad = join(dir, 'p.json');
    writeFileSync(bad, JSON.stringify({ name: 'x' }));
    expect(await run(['--profile', bad, 'lab'])).toMatchObject({ code: 1, err: expect.stringContaining('description: got nothing') as string });
    // A profile the schema takes but the drivers refuse at probe (the vNTB function needs 4 MSI
    // vectors): a clean message, no stack, whether booting a lab or before a sweep runs anything.
    const few = JSON.parse((await run(['profile', 'rcar-s4'])).out) as { pcie: { msiVectors: { value: number } } };
    few.pcie.msiVectors.value = 2;
    const fewFile = join(dir, 'few.json');
    writeFileSync(fewFile, JSON.stringify(few));
    const msg = 'vntb.msiVectors: got 2, allowed a power of two ≥ 4';
    for (const args of [['--profile', fewFile, 'ping', '-c', '1', '10.0.0.1'], ['--profile', fewFile, 'ethtool', '-l', 'ntb0']]) {
      expect(await run(args)).toEqual({ code: 1, out: '', err: expect.stringMatching(new RegExp(`^ntb-bench: the boards cannot boot with these options: .*${msg}.*\n$`)) as string });
    }
    const sweep = await run(['sweep', 'pcie.msiVectors=16,2', '--runs', '1', '--duration', '1', '--out', join(dir, 's.json')]);
    expect(sweep).toMatchObject({ code: 1, err: expect.stringContaining(`ntb-bench: sweep: pcie.msiVectors=2: [ntb-hw-epf] [config] ${msg}`) as string });
    expect(sweep.err).not.toMatch(/\n +at /);
  });

  it('a bad sweep axis is a usage error: status 2 with the sweep usage, not the whole help', async () => {
    for (const args of [['sweep', 'queues=9'], ['sweep', 'foo=1'], ['sweep', 'queues']]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^ntb-bench: sweep: .*\nUsage: ntb-bench \[global options\] sweep AXIS=V1,V2… /);
      expect(r.err).not.toContain('  lab [SCRIPT]');
    }
    expect((await run(['sweep', 'queues=9'])).err).toContain('queues=9: allowed integer 1..8');
  });

  it('--trace writes what ran on which CPU: JSON lines, or with --trace-format chrome a Trace Event Format file for Perfetto', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntbsim-trace-'));
    const lines = join(dir, 't.jsonl');
    const ping = ['ping', '-c', '2', '-i', '0.2', '-q', '10.0.0.1'];
    expect((await run(['--trace', lines, ...ping])).code).toBe(0);
    const records = readFileSync(lines, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(10);
    for (const r of records) expect(Object.keys(r)).toEqual(r['what'] === 'run' ? ['t', 'host', 'cpu', 'what', 'name', 'value', 'kind'] : ['t', 'host', 'cpu', 'what', 'name', 'value']);
    expect(new Set(records.map((r) => r['what']))).toEqual(new Set(['run', 'wake', 'ipi', 'counter']));
    // Tracing reads the model and changes nothing: the same run prints the same without it.
    const untraced = await run(ping);
    expect(untraced.out).toBe((await run(['--trace', lines, ...ping])).out);
    expect(new Set(records.map((r) => r['host']))).toEqual(new Set(['rc', 'ep']));

    const chrome = join(dir, 't.json');
    const r = await run(['--trace', chrome, '--trace-format', 'chrome', ...ping]);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    const trace = JSON.parse(readFileSync(chrome, 'utf8')) as { traceEvents: { name: string; ph: string; pid: number; tid?: number; cat?: string; dur?: number; args?: { name?: string } }[]; displayTimeUnit: string; otherData: { records: number; dropped: number } };
    expect(trace.displayTimeUnit).toBe('ns');
    expect(trace.otherData).toMatchObject({ records: records.length, dropped: 0 });
    const procs = new Map(trace.traceEvents.filter((e) => e.name === 'process_name').map((e) => [e.args?.name, e.pid]));
    expect([...procs.keys()].sort()).toEqual(['ep', 'rc']);
    const slices = trace.traceEvents.filter((e) => e.ph === 'X');
    const sum = (pred: (e: (typeof slices)[number]) => boolean): number => slices.filter(pred).reduce((a, e) => a + (e.dur ?? 0), 0);
    expect(Math.round(sum(() => true) * 1000)).toBe(records.filter((x) => x['what'] === 'run').reduce((a, x) => a + (x['value'] as number), 0));
    expect(trace.traceEvents.some((e) => e.ph === 'i' && e.cat === 'wake' && e.pid === procs.get('ep') && e.name === 'ping')).toBe(true);
    expect(slices.some((e) => e.pid === procs.get('rc') && e.cat === 'softirq' && e.name.startsWith('ntb_transport rxc_db'))).toBe(true);
    expect(slices.some((e) => e.pid === procs.get('ep') && e.cat === 'user' && e.name === 'ping')).toBe(true);
    // Counter tracks: each board's ntb0 TX queue (qdisc length, stopped) and its QP's free TX slots.
    const counters = new Set(trace.traceEvents.filter((e) => e.ph === 'C').map((e) => `${e.pid}:${e.name}`));
    for (const b of ['rc', 'ep']) for (const c of ['ntb0 txq0 qlen', 'ntb0 txq0 stopped', 'qp0 tx free']) expect(counters).toContain(`${procs.get(b) ?? 0}:${c}`);

    expect(await run(['--trace', chrome, '--trace-format', 'perfetto', ...ping])).toMatchObject({ code: 2, out: '', err: expect.stringMatching(/^ntb-bench: --trace-format: 'perfetto' is not one of jsonl, chrome\n/) as string });
    expect(await run(['--trace-format', 'chrome', ...ping])).toMatchObject({ code: 2, out: '', err: expect.stringMatching(/^ntb-bench: --trace-format: it needs --trace FILE \(where to write the trace\)\n/) as string });
  });

  it('rejects unreadable files, bad JSON and bad subcommand options before running anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntbsim-cli-'));
    const badJson = join(dir, 'bad.json');
    writeFileSync(badJson, '{ "name": ');
    const missing = join(dir, 'missing.json');
    const cases: [string[], number, string][] = [
      [['--profile', badJson, 'lab'], 1, `ntb-bench: --profile '${badJson}': invalid JSON: Unexpected end of JSON input\n`],
      [['--profile', missing, 'lab'], 1, `ntb-bench: --profile '${missing}': No such file or directory\n`],
      [['lab', join(dir, 'nope.lab')], 1, `ntb-bench: lab: script '${join(dir, 'nope.lab')}': No such file or directory\n`],
      [['merge', missing], 1, `ntb-bench: merge: '${missing}': No such file or directory\n`],
      [['merge', badJson], 1, `ntb-bench: merge: '${badJson}': invalid JSON: Unexpected end of JSON input\n`],
      [['--trace', join(dir, 'no/such/dir/t.jsonl'), 'ethtool', '-l', 'ntb0'], 1, `ntb-bench: --trace '${join(dir, 'no/such/dir/t.jsonl')}': No such file or directory\n`],
      [['--param', 'ntb_netdev.wake_timer', 'lab'], 1, "ntb-bench: ntb_netdev: '' invalid for parameter 'wake_timer' (allowed jiffy, hrtimer)\n"],
      [['--param', 'ntb_netdev.hrtimer_mode=pinned', 'lab'], 1, "ntb-bench: ntb_netdev: 'pinned' invalid for parameter 'hrtimer_mode' (allowed soft, hard)\n"],
      [['--param', 'ntb_transport.transport_mtu=1', 'lab'], 1, 'ntb-bench: ntb_transport.transport_mtu: got 1, allowed an integer in 13..4294967295\n'],
    ];
    for (const [argv, code, err] of cases) expect.soft({ argv, ...(await run(argv)) }).toEqual({ argv, code, out: '', err });
    // A malformed --param is a usage error, as any other bad global option (a value the module refuses is its modprobe's 1).
    for (const bad of ['use_dma=1', 'ntb_transport.=1']) {
      const r = await run(['--param', bad, 'lab']);
      expect({ code: r.code, err: r.err.split('\n')[0] }).toEqual({ code: 2, err: `ntb-bench: '${bad}': expected ${bad === 'use_dma=1' ? 'MODULE.PARAMETER=VALUE (modules: ntb_transport, ntb_netdev)' : 'MODULE.PARAMETER=VALUE'}` });
      expect(r.err.split('\n').slice(1)).toEqual(["Try 'ntb-bench --help' for more information.", '']);
    }
    const usage: [string[], string][] = [
      [['lab', '--bogus'], "ntb-bench: lab: unknown option '--bogus' (allowed: --keep-going)\n"],
      [['lab', '--seed', '5', 'x.lab'], "ntb-bench: lab: unknown option '--seed' (allowed: --keep-going; global options go before the command)\n"],
      [['lab', 'a.lab', 'b.lab'], "ntb-bench: lab: one script at a time (got 'a.lab', 'b.lab')\n"],
      [['reproduce', '--bogus'], "ntb-bench: reproduce: unknown option '--bogus' (allowed: --runs, --duration, --json, --html, --scenarios, --workers)\n"],
      [['reproduce', '--scenarios', 'nope'], "ntb-bench: reproduce: --scenarios: unknown scenario 'nope' (known: baseline-tcp, baseline-udp, mq1-tcp, mq1-udp, mq2-legacy-tcp, mq2-legacy-udp, mq2-perbit-tcp, mq2-perbit-udp)\n"],
      [['sweep', 'queues=1', 'extra'], "ntb-bench: sweep: 'extra' is not an axis (AXIS=V1,V2…)\n"],
      [['faults', '--seed', 'x'], "ntb-bench: --seed: 'x' is not an integer in 0..4294967295\n"],
      [['calibrate', '--iterations', '0'], "ntb-bench: --iterations: '0' is not a positive integer\n"],
    ];
    for (const [argv, first] of usage) {
      const r = await run(argv);
      expect.soft({ argv, code: r.code, err: r.err.split(/Usage: ntb-bench|Try 'ntb-bench/)[0] }).toEqual({ argv, code: 2, err: first });
      // After the message: the command's synopsis and where its whole help is, not the help itself.
      expect.soft(r.err).toMatch(new RegExp(`\\nTry 'ntb-bench ${argv[0] ?? ''} --help' for more information\\.\\n$`));
      expect.soft(r.err).not.toContain('Global options:');
    }
    const r = await run(['faults', '--only', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ntb-bench: faults: --only 'nope' matches no scenario \(known: hw-link-loss, /);
    const merge = await run(['--seed', '3', '--mws', '2', '--seed', '4', 'merge', 'a.json']);
    expect(merge.code).toBe(2);
    expect(merge.err).toMatch(/^ntb-bench: merge: --seed, --mws do not apply: merge joins the shards as they were run/);
    const ignored = await run(['--profile', 'x86-server', '--doorbell', 'per-bit', 'faults', '--only', 'nope']);
    expect(ignored.code).toBe(2);
    expect(ignored.err).toMatch(/^ntb-bench: faults: --profile, --doorbell do not apply: each fault scenario builds its own lab on rcar-s4/);
  });

  it('faults with no reproduce.json beside its --json says so in a note wrapped within 100 columns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntbsim-faults-note-'));
    const r = await run(['faults', '--only', 'hw-link-loss', '--json', join(dir, 'f.json'), '--html', join(dir, 'f.html')]);
    expect(r.code).toBe(0);
    const note = r.out.slice(r.out.indexOf(`(no ${dir}/reproduce.json`));
    const lines = note.split('\n').slice(0, -1);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.filter((l) => l.length > 100)).toEqual([]);
    expect(lines.slice(1).filter((l) => !/^ {2}\S/.test(l))).toEqual([]);
    expect(lines.join('\n').replace(/\n {2}/g, ' ')).toBe(`(no ${dir}/reproduce.json: a reproduce report written there, as reproduce --json ${dir}/reproduce.json does, gets this dashboard too)`);
  }, 120_000);

  it('runs a lab script and stops at the first failing line with its number', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntbsim-cli-'));
    const script = join(dir, 'seed.lab');
    writeFileSync(script, ['# the seed', 'rc$ sudo iperf3 -s -D', 'ep$ sudo ethtool -l ntb0', 'ep$ nosuchtool', 'ep$ sleep 1'].join('\n'));
    const r = await run(['lab', script]);
    expect(r.code).toBe(127);
    expect(r.out).toContain('ep$ sudo ethtool -l ntb0\nChannel parameters for ntb0:');
    expect(r.err).toContain(`ntb-bench: ${script}:4: 'nosuchtool' failed with status 127: bash: nosuchtool: command not found`);
    expect(r.out).not.toContain('sleep 1');
  }, 60_000);

  it('--doorbell takes one mode for both boards or a mode per board (a board left out keeps legacy)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntbsim-cli-'));
    const script = join(dir, 'db.lab');
    writeFileSync(script, 'rc$ ethtool -l ntb0\n');
    const spy = vi.spyOn(lab, 'bootLab');
    try {
      for (const [v, want] of [
        ['per-bit', { rc: 'per-bit', ep: 'per-bit' }],
        ['rc=legacy,ep=per-bit', { rc: 'legacy', ep: 'per-bit' }],
        ['ep=per-bit', { ep: 'per-bit' }],
      ] as const) {
        spy.mockClear();
        expect((await run(['--doorbell', v, 'lab', script])).code).toBe(0);
        const booted = spy.mock.results[0]?.value as lab.Lab | undefined;
        expect.soft({ v, options: spy.mock.calls[0]?.[0]?.doorbell, pair: booted?.pair.config.doorbell }).toEqual({ v, options: want, pair: Object.assign({ rc: 'legacy', ep: 'legacy' }, want) });
      }
    } finally {
      spy.mockRestore();
    }
  }, 60_000);

  it('--param with a name the module does not have: both kernels log it as ignored at boot (stderr), and the lab runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntbsim-cli-'));
    const script = join(dir, 'p.lab');
    writeFileSync(script, 'ep$ ethtool -l ntb0\n');
    const r = await run(['--param', 'ntb_netdev.foo=1', '--param', 'ntb_transport.bar', 'lab', script]);
    expect(r.code).toBe(0);
    expect(r.err.replace(/\[ *\d+\.\d{6}\]/g, '[T]')).toBe(
      ["rc: [T] ntb_transport: unknown parameter 'bar' ignored", "rc: [T] ntb_netdev: unknown parameter 'foo' ignored", "ep: [T] ntb_transport: unknown parameter 'bar' ignored", "ep: [T] ntb_netdev: unknown parameter 'foo' ignored", ''].join('\n'),
    );
    expect(r.out).toContain('Channel parameters for ntb0:');
  }, 60_000);

  it('lab --keep-going reports every failing line as FILE:LINE, exiting with the first failure status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntbsim-cli-'));
    const script = join(dir, 'k.lab');
    writeFileSync(script, ['ep$ nosuchtool', 'ep$ sleep 0.1', 'rc$ cat /nope', 'ep$ ethtool -l ntb0'].join('\n'));
    const r = await run(['lab', '--keep-going', script]);
    expect(r.code).toBe(127);
    expect(r.err.split('\n').filter((l) => l.startsWith('ntb-bench: '))).toEqual([
      `ntb-bench: ${script}:1: 'nosuchtool' failed with status 127: bash: nosuchtool: command not found`,
      `ntb-bench: ${script}:3: 'cat /nope' failed with status 1: cat: /nope: No such file or directory`,
    ]);
    expect(r.out).toContain('ep$ ethtool -l ntb0\nChannel parameters for ntb0:');
  }, 60_000);

  it('lab rejects a script with a malformed line anywhere before running any of it, naming each such line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntbsim-cli-'));
    const script = join(dir, 'm.lab');
    writeFileSync(script, ['rc$ sudo iperf3 -s -D', 'ep$ ethtool -l ntb0', '', 'ethtool -l ntb0', '# ok', 'ep sleep 1'].join('\n'));
    for (const argv of [['lab', script], ['lab', '--keep-going', script]]) {
      expect(await run(argv)).toEqual({
        code: 2,
        out: '',
        err: `ntb-bench: ${script}:4: expected a line starting with 'rc$' or 'ep$', got 'ethtool -l ntb0'\nntb-bench: ${script}:6: expected a line starting with 'rc$' or 'ep$', got 'ep sleep 1'\n`,
      });
    }
  });

  it('--help names every option the commands accept', async () => {
    const help = (await run(['--help'])).out;
    expect(help).toMatch(/^ {2}sweep AXIS=V1,V2… .*\[--html PATH\].*\[--workers N\]$/m);
    expect(help).toMatch(/^ {2}calibrate \[--fit rate,sd\] \[--seeds N\] \[--duration S\] \[--iterations N\] \[--sd-seeds N\]\n {12}\[--sd-iterations N\] \[--workers N\]$/m);
    expect(help).toContain('--doorbell MODE       legacy | per-bit (both boards), or per board: rc=MODE,ep=MODE');
  });

  it('COMMAND --help (or -h) prints that command\'s usage and the global options it takes, status 0; the one-shot tools take theirs to the tool', async () => {
    const takes: Record<string, string[]> = {
      lab: ['--profile', '--seed', '--functional', '--param', '--doorbell', '--mws', '--ep-doorbell', '--dw-msi', '--ntb-ports', '--sysctl', '--trace', '--trace-format'],
      reproduce: ['--profile', '--seed', '--functional'],
      sweep: ['--profile', '--seed', '--functional', '--param', '--doorbell', '--mws', '--ep-doorbell', '--dw-msi', '--ntb-ports', '--sysctl'],
      merge: [],
      calibrate: ['--profile'],
      faults: ['--seed'],
      profile: ['--profile'],
    };
    for (const [cmd, globals] of Object.entries(takes)) {
      for (const h of ['--help', '-h']) {
        const r = await run([cmd, h]);
        expect({ cmd, h, code: r.code, err: r.err }).toEqual({ cmd, h, code: 0, err: '' });
        expect(r.out).toMatch(new RegExp(`^Usage: ntb-bench \\[global options\\] ${cmd} `));
        const section = r.out.slice(r.out.indexOf('\nGlobal options:'));
        expect({ cmd, listed: [...section.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]) }).toEqual({ cmd, listed: globals });
      }
    }
    expect((await run(['merge', '--help'])).out).toMatch(/\nGlobal options: none apply\n$/);
    const ping = await run(['ping', '-h']);
    expect(ping.out + ping.err).toContain('Usage\n  ping [options] <destination>');
  });

  it('profile --table with no operand prints the default profile\'s table (rcar-s4)', async () => {
    const r = await run(['profile', '--table']);
    expect(r.code).toBe(0);
    expect(r.out).toBe((await run(['profile', 'rcar-s4', '--table'])).out);
  });

  it('calibrate refuses --seed and --functional: it runs the seeds reproduce checks, in timing mode', async () => {
    for (const g of [['--seed', '2'], ['--functional']]) {
      expect(await run([...g, 'calibrate', '--fit', 'rate'])).toMatchObject({ code: 2, err: expect.stringMatching(new RegExp(`^ntb-bench: calibrate: ${g[0] ?? ''} does not apply: it runs the seeds runSeed\\(101, r\\) that reproduce checks, in timing mode \\(global option it takes: --profile\\)\nUsage: ntb-bench \\[global options\\] calibrate`)) as string });
    }
  });

  it('prints usage with status 0 for help and 1 without a command', async () => {
    expect(await run(['help'])).toMatchObject({ code: 0, out: expect.stringContaining('Usage: ntb-bench') as string });
    expect((await run([])).code).toBe(1);
  });
});

describe('the ntb-bench command as npm links it', () => {
  const root = new URL('..', import.meta.url).pathname;
  it('is a file of the source tree (npm ci links it before any build), and runs the built CLI; so does a symlink to dist/cli.js', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { bin: Record<string, string> };
    const bin = pkg.bin['ntb-bench'] ?? '';
    expect(bin).not.toMatch(/dist\//);
    expect(existsSync(`${root}${bin}`)).toBe(true);
    const viaBin = spawnSync('node', [`${root}${bin}`, 'ethtool', '-l', 'ntb0'], { encoding: 'utf8' });
    expect(viaBin).toMatchObject({ status: 0, stdout: expect.stringMatching(/^Channel parameters for ntb0:\n/) as string });
    const link = join(mkdtempSync(join(tmpdir(), 'ntbsim-bin-')), 'ntb-bench');
    symlinkSync(`${root}dist/cli.js`, link);
    const viaLink = spawnSync('node', [link, 'ethtool', '-l', 'ntb0'], { encoding: 'utf8' });
    expect(viaLink).toMatchObject({ status: 0, stdout: expect.stringMatching(/^Channel parameters for ntb0:\n/) as string });
  });
});
