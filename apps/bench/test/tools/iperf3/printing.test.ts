import { describe, expect, it } from 'vitest';
import { labCommands } from '../../../src/commands.js';
import { bootLab, type Lab } from '../../../src/lab/lab.js';
import { runScript } from '../../../src/lab/script.js';
import { LAB_EPOCH_SECONDS } from '../../../src/tools/net/host.js';
import { iperf3, takeServerOutput } from '../../../src/tools/iperf3/index.js';
import { combinedOutput, writesOf } from '../../../src/tools/output.js';
import type { CommandResult } from '../../../src/types.js';

function lab(seed = 11): Lab {
  return bootLab({ seed, sysctl: { 'net.core.wmem_max': 1 << 30, 'net.core.rmem_max': 1 << 30 } });
}

function run(l: Lab, board: 'rc' | 'ep', line: string): CommandResult {
  return iperf3(['iperf3', ...line.split(' ')], { lab: l, board: l.boards[board], vars: new Map() });
}

/** Let the server finish its side of the test and take what it printed. */
function serverText(l: Lab): string {
  l.sim.run({ until: l.sim.now + 50_000_000 });
  return takeServerOutput(l.boards.rc);
}

const COOKIE = /^ {6}Cookie: ([a-z2-7]{36})$/m;

describe('iperf3 -V, -T, --timestamps and --get-server-output in the lab', () => {
  it('-V on both ends: the version lines, the control MSS, on_connect, Starting Test, Test Complete, the CPU and congestion lines', () => {
    const l = lab();
    const s = run(l, 'rc', '-s -V');
    expect(s.stdout).toBe('iperf 3.12\nLinux rc 6.18.0 #1 SMP PREEMPT aarch64\n-----------------------------------------------------------\nServer listening on 5201 (test #1)\n-----------------------------------------------------------\n');
    const r = run(l, 'ep', '-c 10.0.0.1 -t 2 -V -P 2');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual(['iperf 3.12', 'Linux ep 6.18.0 #1 SMP PREEMPT aarch64', `Control connection MSS ${/^Control connection MSS (\d+)$/.exec(lines[2] ?? '')?.[1] ?? 'none'}`]);
    const mss = Number(/^Control connection MSS (\d+)$/.exec(lines[2] ?? '')?.[1]);
    expect(mss).toBeGreaterThan(1000);
    expect(lines[3]).toBe('Time: Sun, 22 Nov 2026 00:00:00 GMT');
    expect(lines[4]).toBe('Connecting to host 10.0.0.1, port 5201');
    expect(lines[5]).toMatch(COOKIE);
    expect(lines[6]).toBe(`      TCP MSS: ${mss} (default)`);
    expect(lines.slice(7, 9).every((x) => / local 10\.0\.0\.2 port \d+ connected to 10\.0\.0\.1 port 5201$/.test(x))).toBe(true);
    expect(lines[9]).toBe('Starting Test: protocol: TCP, 2 streams, 131072 byte blocks, omitting 0 seconds, 2 second test, tos 0');
    expect(r.stdout).toMatch(/\n- - - - - - - - - - - - - - - - - - - - - - - - -\nTest Complete\. Summary Results:\n\[ ID\] Interval {11}Transfer {5}Bitrate {9}Retr\n/);
    expect(r.stdout).toMatch(/ receiver\nCPU Utilization: local\/sender \d+\.\d% \(0\.0%u\/\d+\.\d%s\), remote\/receiver \d+\.\d% \(0\.0%u\/\d+\.\d%s\)\nsnd_tcp_congestion cubic\nrcv_tcp_congestion cubic\n\niperf Done\.\n$/);
    const srv = serverText(l);
    expect(srv).toMatch(/^Time: Sun, 22 Nov 2026 00:00:00 GMT\nAccepted connection from 10\.0\.0\.2, port \d+\n {6}Cookie: [a-z2-7]{36}\n {6}TCP MSS: 0 \(default\)\n/);
    // The same cookie at both ends.
    expect(COOKIE.exec(srv)?.[1]).toBe(COOKIE.exec(r.stdout)?.[1]);
    expect(srv).toContain('Starting Test: protocol: TCP, 2 streams, 131072 byte blocks, omitting 0 seconds, 2 second test, tos 0\n');
    expect(srv).toMatch(/Test Complete\. Summary Results:\n\[ ID\] Interval {11}Transfer {5}Bitrate\n\[ {2}5\] \(sender statistics not available\)\n\[ {2}5\] .* receiver\n\[ {2}7\] \(sender statistics not available\)\n\[ {2}7\] .* receiver\n\[SUM\] \(sender statistics not available\)\n\[SUM\] .* receiver\nrcv_tcp_congestion cubic\n/);
    // The server prints its version lines again before each banner.
    expect(srv.endsWith('iperf 3.12\nLinux rc 6.18.0 #1 SMP PREEMPT aarch64\n-----------------------------------------------------------\nServer listening on 5201 (test #2)\n-----------------------------------------------------------\n')).toBe(true);
  });

  it('-V -u: `Setting UDP block size` with the MSS before the block-size warning, the target bitrate, no TCP MSS or congestion lines', () => {
    const l = lab();
    run(l, 'rc', '-s');
    const r = run(l, 'ep', '-c 10.0.0.1 -u -t 1 -V');
    const mss = /^Control connection MSS (\d+)$/m.exec(r.stdout)?.[1] ?? '';
    expect(r.stdout.startsWith(`iperf 3.12\nLinux ep 6.18.0 #1 SMP PREEMPT aarch64\nControl connection MSS ${mss}\nSetting UDP block size to ${mss}\nTime: `)).toBe(true);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`      Target Bitrate: 1048576\n[  5] local`);
    expect(r.stdout).toContain(`Starting Test: protocol: UDP, 1 streams, ${mss} byte blocks, omitting 0 seconds, 1 second test, tos 0\n`);
    expect(r.stdout).not.toMatch(/TCP MSS|tcp_congestion/);
    // -l above the MSS: the warning comes after iperf_connect's printfs.
    const big = run(l, 'ep', '-c 10.0.0.1 -u -t 1 -V -l 65000');
    expect(writesOf(big).map((w) => w.fd)).toEqual([1, 2, 1]);
    expect(writesOf(big)[0]?.text).toBe(`iperf 3.12\nLinux ep 6.18.0 #1 SMP PREEMPT aarch64\nControl connection MSS ${mss}\n`);
    expect(writesOf(big)[1]?.text).toBe(`warning: UDP block size 65000 exceeds TCP MSS ${mss}, may result in fragmentation / drops\n`);
    expect(combinedOutput(big)).toMatch(/fragmentation \/ drops\nTime: /);
  });

  it('-V -J: the JSON is unchanged but for iperf_connect\'s printf before it, and the warning', () => {
    const l = lab();
    run(l, 'rc', '-s');
    const r = run(l, 'ep', '-c 10.0.0.1 -t 1 -V -J');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('warning: Verbose output (-v) may interfere with JSON output (-J)\n');
    const [first, ...rest] = r.stdout.split('\n');
    expect(first).toMatch(/^Control connection MSS \d+$/);
    expect(Object.keys(JSON.parse(rest.join('\n')) as object)).toEqual(['start', 'intervals', 'end']);
  });

  it('the cookie is drawn from the lab\'s seed: the same seed gives the same run, another seed another cookie', () => {
    const once = (seed: number): CommandResult => {
      const l = lab(seed);
      run(l, 'rc', '-s');
      return run(l, 'ep', '-c 10.0.0.1 -t 1 -V');
    };
    const a = once(11);
    expect(once(11)).toEqual(a);
    const cookies = [a, once(12), once(13)].map((r) => COOKIE.exec(r.stdout)?.[1]);
    expect(new Set(cookies).size).toBe(3);
    // Each test of a lab gets a new one.
    const l = lab(11);
    run(l, 'rc', '-s');
    expect(COOKIE.exec(run(l, 'ep', '-c 10.0.0.1 -t 1 -V').stdout)?.[1]).toBe(cookies[0]);
    expect(COOKIE.exec(run(l, 'ep', '-c 10.0.0.1 -t 1 -V').stdout)?.[1]).not.toBe(cookies[0]);
  });

  it('-T and --timestamps: every print of the client starts with the time it was made and `TITLE:  `; errors get the time only; the server its own time', () => {
    const l = lab();
    run(l, 'rc', '-s --timestamps=%s|');
    takeServerOutput(l.boards.rc);
    const r = run(l, 'ep', '-c 10.0.0.1 -t 3 -T lab1 --timestamps=%s|');
    const lines = r.stdout.trimEnd().split('\n');
    const stamps = lines.map((x) => Number(/^(\d+)\|lab1: {2}/.exec(x)?.[1]));
    expect(stamps.every((t) => t >= LAB_EPOCH_SECONDS && t <= LAB_EPOCH_SECONDS + 4)).toBe(true);
    // The interval lines carry the second they were printed in: 1, 2, then 3 with the summary.
    const intervals = lines.filter((x) => / sec .*Bytes .*bits\/sec {4}\d+ .*Bytes {7}$/.test(x));
    expect(intervals.map((x) => Number(/^(\d+)/.exec(x)?.[1]) - LAB_EPOCH_SECONDS)).toEqual([1, 2, 3]);
    // The blank line before `iperf Done.` is a print of its own: the prefix alone.
    expect(lines.slice(-2)).toEqual([`${stamps.at(-1)}|lab1:  `, `${stamps.at(-1)}|lab1:  iperf Done.`]);
    const srv = serverText(l);
    expect(srv).toMatch(/^\d+\|Accepted connection from 10\.0\.0\.2/);
    expect(srv).not.toContain('lab1');
    // An error: iperf_errexit's time, no title.
    const err = run(l, 'ep', '-c 10.0.0.1 -p 5999 -t 1 -T lab1 --timestamps');
    expect(err.stderr).toMatch(/^Sun Nov 22 00:00:0\d 2026 iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc\.: Connection refused\n$/);
  });

  it('a client job prints its decorated lines as the test goes, and its end adds the rest', () => {
    const l = lab();
    const r = runScript(l, 'rc$ iperf3 -s\nep$ iperf3 -c 10.0.0.1 -t 2 -T job -V &\nep$ sleep 1\nep$ wait\n', { name: 'job', keepGoing: true, commands: labCommands() });
    const live = r.steps[2]?.result.stdout ?? '';
    const rest = r.steps[3]?.result.stdout ?? '';
    expect(live).toMatch(/^job: {2}iperf 3\.12\njob: {2}job: {2}Linux ep .*\nControl connection MSS \d+\njob: {2}Time: .*\njob: {2}Connecting to host 10\.0\.0\.1, port 5201\n/);
    expect(rest).toMatch(/job: {2}iperf Done\.\n/);
    expect(`${live}${rest}`.split('\n').filter((x) => x !== '' && !x.startsWith('[1]')).every((x) => x.startsWith('job:  ') || x.startsWith('Control connection MSS'))).toBe(true);
  });

  it('--get-server-output: after its summary the client prints what the server printed of the test; with -J it embeds it after `title`', () => {
    const l = lab();
    run(l, 'rc', '-s');
    takeServerOutput(l.boards.rc);
    const r = run(l, 'ep', '-c 10.0.0.1 -t 1 --get-server-output');
    expect(r.status).toBe(0);
    const m = /receiver\n\nServer output:\n([^]*)\n\n\niperf Done\.\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    const srv = serverText(l);
    // What the server showed of this test, banner excluded (the flag came with the parameters).
    expect(`${m?.[1] ?? ''}\n`).toBe(srv.slice(0, srv.indexOf('-----------------------------------------------------------\nServer listening')));
    expect(m?.[1]).toMatch(/^Accepted connection from 10\.0\.0\.2, port \d+\n/);
    const j = JSON.parse(run(l, 'ep', '-c 10.0.0.1 -t 1 --get-server-output -J -T t1').stdout) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['start', 'intervals', 'end', 'title', 'server_output_text']);
    expect(j.title).toBe('t1');
    expect(j.server_output_text).toMatch(/^-{59}\nServer listening on 5201 \(test #2\)\n-{59}\nAccepted connection/);
  });

  it('--get-server-output from a -J server: its document as it was before iperf_json_finish (no `title`), printed by a text client', () => {
    const l = lab();
    run(l, 'rc', '-s -J');
    const r = run(l, 'ep', '-c 10.0.0.1 -t 1 --get-server-output -T x');
    const m = /receiver\nx: {2}\nServer JSON output:\n(\{\n[^]*\n\})\nx: {2}\nx: {2}iperf Done\.\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    const doc = JSON.parse(m?.[1] ?? '{}') as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['start', 'intervals', 'end']);
    // The server's own document has the client's title.
    const own = JSON.parse(serverText(l)) as Record<string, unknown>;
    expect(own.title).toBe('x');
    expect(own.start).toEqual(doc.start);
  });

  it("3.12 never clears a server's get_server_output: its next tests' output starts at the banner, and it is sent to clients that did not ask (which ignore it)", () => {
    const l = lab();
    run(l, 'rc', '-s -D -V');
    run(l, 'ep', '-c 10.0.0.1 -t 1 --get-server-output');
    const plain = run(l, 'ep', '-c 10.0.0.1 -t 1');
    expect(plain.stdout).not.toContain('Server output');
    const third = run(l, 'ep', '-c 10.0.0.1 -t 1 --get-server-output');
    expect(third.stdout).toMatch(/\nServer output:\niperf 3\.12\nLinux rc .*\n-{59}\nServer listening on 5201 \(test #3\)\n-{59}\nTime: .*\nAccepted connection/);
    // A daemon shows nothing, but keeps it for the client.
    expect(takeServerOutput(l.boards.rc)).toBe('');
  });
});
