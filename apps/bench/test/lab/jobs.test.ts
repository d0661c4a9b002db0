/**
 * Background jobs of the lab's shell (`CMD &`, `jobs`, `wait`): a client test runs while other
 * commands look at the boards, its report arrives through the board's terminal, and a script
 * waits for what is still running at its end.
 */
import { describe, expect, it } from 'vitest';
import { labCommands } from '../../src/commands.js';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { runScript } from '../../src/lab/script.js';
import { lastJob, takeJobOutput } from '../../src/tools/jobs.js';
import { sh } from '../labShell.js';


/** A lab with `iperf3 -s` on the RC and `iperf3 -c 10.0.0.1 ARGS &` on the EP, `seconds` (virtual) into the test. */
function midTest(args: string, seconds: number): Lab {
  const lab = bootLab({ seed: 4 });
  sh(lab, 'rc', 'iperf3 -s');
  sh(lab, 'ep', `iperf3 -c 10.0.0.1 ${args} &`);
  sh(lab, 'ep', `sleep ${seconds}`);
  return lab;
}

describe('background jobs', () => {
  it('runs an iperf3 client while other commands look at the boards; wait prints its report', () => {
    const lab = bootLab({ seed: 4 });
    expect(sh(lab, 'rc', 'iperf3 -s -D').status).toBe(0);
    const t0 = lab.sim.now;
    // As on a terminal: `Connecting to host …` once the parameters are exchanged, the rest as the test reaches it.
    const started = sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 2 -i 1 &');
    expect(started).toEqual({ stdout: '', stderr: '', status: 0 });
    // The shell got its prompt back at once: only the program's start went by.
    expect(lab.sim.now - t0).toBeLessThan(10e6);
    expect(sh(lab, 'ep', 'jobs')).toEqual({ stdout: `[1]+  ${'Running'.padEnd(24)}iperf3 -c 10.0.0.1 -t 2 -i 1 &\n`, stderr: '', status: 0 });
    const live = sh(lab, 'ep', 'sleep 1').stdout;
    expect(live).toMatch(/^Connecting to host 10\.0\.0\.1, port 5201\n\[ {2}5\] local 10\.0\.0\.2 port \d+ connected to 10\.0\.0\.1 port 5201\n/);
    expect(live).not.toMatch(/sender/);
    // Mid-test: the data connection is established with bytes in flight, and the RC's receive CPU is busy.
    const ss = sh(lab, 'ep', 'ss -tn state established dport = :5201').stdout.split('\n').slice(1, -1);
    expect(ss).toHaveLength(2);
    expect(Math.max(...ss.map((l) => Number(l.split(/\s+/)[1])))).toBeGreaterThan(0);
    expect(sh(lab, 'rc', 'top -b -n 1').stdout).toMatch(/%Cpu0 {2}: .* [1-9]\d\.\d si/);
    const done = sh(lab, 'ep', 'wait');
    expect(done.status).toBe(0);
    // Each line once, in iperf3's order, across the commands the job ran through.
    const all = started.stdout + live + done.stdout;
    expect(all).toMatch(/^Connecting to host 10\.0\.0\.1, port 5201\n\[ {2}5\] local .*\n\[ ID\] Interval .*\n\[ {2}5\] {3}0\.00-1\.00 {3}sec .*\n\[ {2}5\] {3}1\.00-2\.00 {3}sec .*\n- - - /);
    expect(all.match(/0\.00-1\.00 {3}sec/g)).toHaveLength(1);
    expect(all).toMatch(/receiver\n\niperf Done\.\n$/);
    expect(lab.sim.now - t0).toBeGreaterThan(2e9);
    expect(sh(lab, 'ep', 'jobs').stdout).toBe('');
    expect(sh(lab, 'ep', 'wait').stdout).toBe('');
  });

  it("prints a job's output after the same board's command it ran through, or before that board's next command", () => {
    const lab = bootLab({ seed: 4 });
    sh(lab, 'rc', 'iperf3 -s -D');
    sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1 -i 0 &');
    const during = sh(lab, 'ep', 'sleep 2');
    expect(during.stdout).toMatch(/^Connecting to host 10\.0\.0\.1, port 5201\n\[ {2}5\] local .*iperf Done\.\n$/s);
    sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1 -i 0 &');
    // The job ends while the RC's command runs: the EP's terminal shows it at its next command.
    expect(sh(lab, 'rc', 'sleep 2').stdout).not.toMatch(/iperf Done/);
    const next = sh(lab, 'ep', 'echo next');
    expect(next.stdout).toMatch(/^Connecting to host 10\.0\.0\.1, port 5201\n\[ {2}5\] local .*iperf Done\.\nnext\n$/s);
  });

  it('numbers jobs as bash does and runs sleep as a job; a script waits at its end for the jobs still running', () => {
    const lab = bootLab({ seed: 4 });
    sh(lab, 'ep', 'sleep 3 &');
    sh(lab, 'ep', 'sleep 1 &');
    expect(sh(lab, 'ep', 'jobs').stdout).toBe(`[1]-  ${'Running'.padEnd(24)}sleep 3 &\n[2]+  ${'Running'.padEnd(24)}sleep 1 &\n`);
    sh(lab, 'ep', 'sleep 1.5');
    // An ended job stays in the table until `jobs` has reported it, as in a non-interactive bash.
    expect(sh(lab, 'ep', 'jobs').stdout).toBe(`[1]-  ${'Running'.padEnd(24)}sleep 3 &\n[2]+  ${'Done'.padEnd(24)}sleep 1\n`);
    expect(sh(lab, 'ep', 'jobs').stdout).toBe(`[1]+  ${'Running'.padEnd(24)}sleep 3 &\n`);
    const t = lab.sim.now;
    sh(lab, 'ep', 'wait');
    expect(lab.sim.now - t).toBeGreaterThanOrEqual(1.5e9 - 10e6);

    const lab2 = bootLab({ seed: 4 });
    const out = runScript(lab2, 'rc$ iperf3 -s -D\nep$ iperf3 -c ${SERVER_IP} -t 1 &\nrc$ cat /proc/net/dev | wc -l\n', { commands: labCommands() });
    expect(out.status).toBe(0);
    expect(out.steps.map((s) => `${s.line} ${s.board}$ ${s.command}`)).toEqual(['1 rc$ iperf3 -s -D', '2 ep$ iperf3 -c ${SERVER_IP} -t 1 &', '3 rc$ cat /proc/net/dev | wc -l', '4 ep$ wait']);
    expect(out.steps[3]?.result.stdout).toMatch(/iperf Done\.\n$/);
  });

  it("a text-mode iperf3 server prints as the test goes — the accepted connection and its streams at once, each interval as its reporter prints it, the summary at the end — shown after the board's command during which it was printed", () => {
    const lab = bootLab({ seed: 4 });
    sh(lab, 'rc', 'iperf3 -s');
    sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 3 &');
    const mid = sh(lab, 'rc', 'sleep 1.5').stdout;
    expect(mid).toMatch(/^Accepted connection from 10\.0\.0\.2, port \d+\n\[ {2}5\] local 10\.0\.0\.1 port 5201 connected to 10\.0\.0\.2 port \d+\n\[ ID\] Interval {11}Transfer {5}Bitrate\n\[ {2}5\] {3}0\.00-1\.00 {3}sec .*\n$/);
    sh(lab, 'ep', 'wait');
    const rest = sh(lab, 'rc', 'true').stdout;
    expect(rest).toMatch(/^\[ {2}5\] {3}1\.00-2\.00 {3}sec .*\n\[ {2}5\] {3}2\.00-3\.00 {3}sec .*\n(?:.*\n)*- - - .*\n\[ ID\] Interval .*\n\[ {2}5\] {3}0\.00-3\.\d\d {3}sec .* {18}receiver\n-+\nServer listening on 5201 \(test #2\)\n-+\n$/);
  });

  it("killall on an iperf3 client job runs iperf3's handler: a last interval to the signal, the summary (receiver 0: no results exchanged), CLIENT_TERMINATE; the server reports the test with its last interval again and listens anew", () => {
    const lab = midTest('-t 30', 2.5);
    const t0 = lab.sim.now;
    const k = sh(lab, 'ep', 'killall iperf3');
    // The handler ran within the command (virtual time went by only as long as it took).
    expect(lab.sim.now - t0).toBeLessThan(5e6);
    // What the job writes (both its streams) goes to the board's terminal, after the command.
    expect(k).toMatchObject({ stderr: '', status: 0 });
    const lines = k.stdout.split('\n');
    expect(lines[0]).toMatch(/^\[ {2}5\] {3}2\.00-2\.\d\d {3}sec {2}\d+\.\d MBytes {3}\d+ Mbits\/sec {4}0 /);
    expect(lines.slice(1, 3)).toEqual(['- - - - - - - - - - - - - - - - - - - - - - - - -', '[ ID] Interval           Transfer     Bitrate         Retr']);
    expect(lines[3]).toMatch(/^\[ {2}5\] {3}0\.00-2\.\d\d {3}sec {3}\d+ MBytes {3}\d+ Mbits\/sec {4}0 {13}sender$/);
    expect(lines[4]).toMatch(/^\[ {2}5\] {3}0\.00-2\.\d\d {3}sec {2}0\.00 Bytes {2}0\.00 bits\/sec {18}receiver$/);
    expect(lines.slice(5)).toEqual(['iperf3: interrupt - the client has terminated', '']);
    // Its handler exits with status 1.
    expect(sh(lab, 'ep', 'jobs').stdout).toBe(`[1]+  ${'Exit 1'.padEnd(24)}iperf3 -c 10.0.0.1 -t 30\n`);
    expect(sh(lab, 'ep', 'jobs').stdout).toBe('');
    // CLIENT_TERMINATE reaches the server behind the data still queued on the way.
    const srv = sh(lab, 'rc', 'sleep 3').stdout;
    const interval = /\n(\[ {2}5\] {3}\d\.00-\d\.00 {3}sec .*\n)- - - - - - - - - - - - - - - - - - - - - - - - -\n\[ ID\] Interval {11}Transfer {5}Bitrate\n/.exec(srv);
    expect(interval).not.toBeNull();
    // iperf_print_intermediate with no new stats_callback: the last interval twice in a row.
    expect(srv).toContain(`${interval?.[1] ?? ''}${interval?.[1] ?? ''}`);
    expect(srv).toMatch(/ {18}receiver\niperf3: the client has terminated\n-+\nServer listening on 5201 \(test #2\)\n/);
    expect(sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1').status).toBe(0);
  });

  it('with -J the interrupted client prints its JSON document with the test so far and `error`; SIGKILL prints nothing and the server sees the control connection close', () => {
    const lab = midTest('-t 30 -J -P 2', 1.5);
    const k = sh(lab, 'ep', 'pkill -HUP iperf');
    expect(k.status).toBe(0);
    const doc = JSON.parse(k.stdout) as { intervals: unknown[]; end: { sum_sent: { bytes: number; end: number }; sum_received: { bytes: number } }; error: string };
    expect(doc.error).toBe('interrupt - the client has terminated');
    expect(doc.intervals).toHaveLength(2);
    expect(doc.end.sum_sent.bytes).toBeGreaterThan(50e6);
    expect(doc.end.sum_sent.end).toBeCloseTo(1.5, 1);
    expect(doc.end.sum_received.bytes).toBe(0);
    expect(sh(lab, 'rc', 'sleep 3').stdout).toMatch(/ {18}receiver\niperf3: the client has terminated\n-+\nServer listening on 5201 \(test #2\)/);

    sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 30 &');
    sh(lab, 'ep', 'sleep 1.5');
    expect(sh(lab, 'ep', 'killall -KILL iperf3')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, 'ep', 'jobs').stdout).toBe(`[1]-  ${'Exit 1'.padEnd(24)}iperf3 -c 10.0.0.1 -t 30 -J -P 2\n[2]+  ${'Killed'.padEnd(24)}iperf3 -c 10.0.0.1 -t 30\n`);
    expect(sh(lab, 'rc', 'sleep 3').stdout).toMatch(/iperf3: the client has unexpectedly closed the connection\n-+\nServer listening on 5201 \(test #3\)/);
  });

  it("killall on the server mid-test: the server reports a last interval and its summary and exits; the client's job gets SERVER_TERMINATE, prints its last interval again and the summary, and fails", () => {
    const lab = midTest('-t 30', 2.5);
    const k = sh(lab, 'rc', 'killall -INT iperf3');
    expect(k.status).toBe(0);
    expect(k.stdout).toMatch(/\n\[ {2}5\] {3}2\.00-2\.\d\d {3}sec .*\n- - - [^]* {18}receiver\niperf3: interrupt - the server has terminated\n$/);
    const client = sh(lab, 'ep', 'wait');
    expect(client.stdout).toMatch(
      /^\[ {2}5\] {3}1\.00-2\.00 {3}sec .*\n- - - - - - - - - - - - - - - - - - - - - - - - -\n\[ ID\] Interval {11}Transfer {5}Bitrate {9}Retr\n\[ {2}5\] {3}0\.00-2\.00 {3}sec .* sender\n\[ {2}5\] {3}0\.00-2\.00 {3}sec {2}0\.00 Bytes {2}0\.00 bits\/sec {18}receiver\niperf3: error - the server has terminated\n$/,
    );
    expect(sh(lab, 'rc', 'killall iperf3').stderr).toBe('iperf3: no process found\n');
  });

  it('an iperf3 client interrupted before it connected prints the summary header (and zero sums with -P > 1) and nothing else', () => {
    const lab = bootLab({ seed: 4 });
    sh(lab, 'rc', 'iperf3 -s -D');
    sh(lab, 'rc', 'ip link set ntb0 down');
    sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -P 2 &');
    expect(sh(lab, 'ep', 'sleep 2').stdout).toBe('');
    expect(sh(lab, 'ep', 'killall iperf3')).toEqual({
      stdout:
        '- - - - - - - - - - - - - - - - - - - - - - - - -\n[ ID] Interval           Transfer     Bitrate         Retr\n' +
        '[SUM]   0.00-0.00   sec  0.00 Bytes  0.00 bits/sec    0             sender\n[SUM]   0.00-0.00   sec  0.00 Bytes  0.00 bits/sec                  receiver\n' +
        'iperf3: interrupt - the client has terminated\n',
      stderr: '',
      status: 0,
    });
  });

  it("bash's kill signals jobs by jobspec (%N, %%, %+, %-, %PREFIX, %?TEXT); a PID or a word names no job; errors as bash prints them, changing nothing", () => {
    const lab = bootLab({ seed: 4 });
    sh(lab, 'rc', 'iperf3 -s -D');
    sh(lab, 'ep', 'sleep 100 &');
    sh(lab, 'ep', 'sleep 200 &');
    sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 30 &');
    const jobsNow = (): string => sh(lab, 'ep', 'jobs').stdout;
    const before = jobsNow();
    expect(before.split('\n')).toHaveLength(4);
    const err = (line: string, stderr: string, status = 1): void => {
      expect(sh(lab, 'ep', line)).toEqual({ stdout: '', stderr, status });
      expect(jobsNow()).toBe(before);
    };
    err('kill', 'kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n', 2);
    err('kill -FOO %1', 'bash: kill: FOO: invalid signal specification\n');
    err('kill -s', 'bash: kill: -s: option requires an argument\nkill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n', 2);
    err('kill -l', 'bash: kill: -l: the lab does not model listing signals: name one as -SIG, -s SIG or -n NUM\n', 2);
    err('kill %4 %sleep 1234 abc', 'bash: kill: %4: no such job\nbash: kill: %sleep: ambiguous job spec\nbash: kill: (1234) - No such process\nbash: kill: abc: arguments must be process or job IDs\n');
    err('kill -STOP %1', 'bash: kill: the lab does not model signal 19 (it would stop the process or fail), only signals that end it or that it ignores\n');
    expect(sh(lab, 'ep', 'kill -0 %1 %2')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, 'ep', 'kill -n 28 %2')).toEqual({ stdout: '', stderr: '', status: 0 });
    // Options end at the first operand, as in bash: a later -9 is a process group ID.
    err('kill %9 -9 -s', 'bash: kill: %9: no such job\nbash: kill: (-9) - No such process\nbash: kill: -s: arguments must be process or job IDs\n');
    expect(jobsNow()).toBe(before);
    expect(sh(lab, 'ep', 'kill %?200')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(jobsNow()).toContain(`[2]-  ${'Terminated'.padEnd(24)}sleep 200\n`);
    expect(jobsNow()).not.toContain('sleep 200');
    sh(lab, 'ep', 'sleep 1');
    expect(sh(lab, 'ep', 'kill -s INT %%').stdout).toMatch(/ receiver\niperf3: interrupt - the client has terminated\n$/);
    expect(sh(lab, 'ep', 'kill -9 %-')).toEqual({ stdout: '', stderr: 'bash: kill: %-: no such job\n', status: 1 });
    expect(sh(lab, 'ep', 'kill -SIGKILL %+')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(jobsNow()).toBe(`[1]-  ${'Killed'.padEnd(24)}sleep 100\n[3]+  ${'Exit 1'.padEnd(24)}iperf3 -c 10.0.0.1 -t 30\n`);
    expect(jobsNow()).toBe('');
  });

  it("bash's wait with job specs waits for each and returns the status the last ended with (a script stops on a failed job); the jobs it collected leave the table", () => {
    const lab = bootLab({ seed: 4 });
    sh(lab, 'ep', 'sleep 0.5 &');
    sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1 &');
    sh(lab, 'ep', 'sleep 100 &');
    const t0 = lab.sim.now;
    // No server: the connection is refused, and iperf3 exits 1.
    expect(sh(lab, 'ep', 'wait %2').status).toBe(1);
    expect(sh(lab, 'ep', 'wait %1')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(lab.sim.now - t0).toBeGreaterThanOrEqual(0.5e9);
    expect(sh(lab, 'ep', 'wait %1')).toEqual({ stdout: '', stderr: 'bash: wait: %1: no such job\n', status: 127 });
    expect(sh(lab, 'ep', 'wait 1234 abc')).toEqual({ stdout: '', stderr: "bash: wait: pid 1234 is not a child of this shell\nbash: wait: `abc': not a pid or valid job spec\n", status: 127 });
    expect(sh(lab, 'ep', 'wait -n')).toMatchObject({ status: 2 });
    sh(lab, 'ep', 'kill %sleep');
    expect(sh(lab, 'ep', 'wait %3')).toEqual({ stdout: '', stderr: '', status: 128 + 15 });
    expect(sh(lab, 'ep', 'jobs').stdout).toBe('');
    const out = runScript(bootLab({ seed: 4 }), 'ep$ iperf3 -c 10.0.0.1 -t 1 &\nep$ wait %1\nep$ echo not reached\n', { commands: labCommands() });
    expect(out.error).toMatch(/^script:2: 'wait %1' failed with status 1/);
  });

  it('wait gives up on a job that never ends without a signal after an hour of virtual time: a message, status 1, the job still there to be signalled', () => {
    const lab = bootLab({ seed: 4 });
    sh(lab, 'rc', 'mpstat -A 1 > /tmp/m.txt &');
    const t0 = lab.sim.now;
    const w = sh(lab, 'rc', 'wait');
    expect(w).toEqual({ stdout: '', stderr: 'bash: wait: gave up after 3600 s of virtual time: 1 job(s) still running (mpstat -A 1 > /tmp/m.txt): a job without an end needs a signal first (kill %N, killall -INT NAME)\n', status: 1 });
    expect(lab.sim.now - t0).toBe(3600e9);
    expect(sh(lab, 'rc', 'wait %1').status).toBe(1);
    expect(sh(lab, 'rc', 'jobs').stdout).toMatch(/^\[1\]\+ {2}Running +mpstat -A 1 > \/tmp\/m\.txt &\n$/);
    sh(lab, 'rc', 'kill -INT %1');
    expect(sh(lab, 'rc', 'wait')).toEqual({ stdout: '', stderr: '', status: 0 });
  });

  it('ping runs as a job until SIGINT (kill -INT, killall -INT), which prints its statistics; SIGTERM ends it without a word; it measures the RTT under a foreground test', () => {
    const lab = bootLab({ seed: 4 });
    sh(lab, 'rc', 'iperf3 -s -D');
    expect(sh(lab, 'ep', 'ping -i 0.2 10.0.0.1 &')).toEqual({ stdout: 'PING 10.0.0.1 (10.0.0.1) 56(84) bytes of data.\n', stderr: '', status: 0 });
    const during = sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1 -i 0').stdout;
    const replies = during.split('\n').filter((l) => l.startsWith('64 bytes from 10.0.0.1: icmp_seq='));
    expect(replies.length).toBeGreaterThanOrEqual(4);
    const stats = sh(lab, 'ep', 'kill -INT %1').stdout;
    expect(stats).toMatch(new RegExp(`^\\n--- 10\\.0\\.0\\.1 ping statistics ---\\n${replies.length} packets transmitted, ${replies.length} received, 0% packet loss, time \\d+ms\\nrtt min/avg/max/mdev = [\\d./]+ ms\\n$`));
    expect(sh(lab, 'ep', 'jobs').stdout).toBe(`[1]+  ${'Done'.padEnd(24)}ping -i 0.2 10.0.0.1\n`);
    sh(lab, 'ep', 'ping 10.0.0.1 &');
    sh(lab, 'ep', 'sleep 1.5');
    expect(sh(lab, 'ep', 'killall ping')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, 'ep', 'jobs').stdout).toBe(`[1]+  ${'Terminated'.padEnd(24)}ping 10.0.0.1\n`);
    // A ping that fails at once is a job that ended with its status.
    expect(sh(lab, 'ep', 'ping -c 1 nohost &')).toEqual({ stdout: 'ping: nohost: Name or service not known\n', stderr: '', status: 0 });
    expect(sh(lab, 'ep', 'wait %1')).toMatchObject({ status: 2 });
  });

  it('gives the same report for the same seed, and refuses what it cannot run in the background', () => {
    const run = (): string => {
      const lab = bootLab({ seed: 9 });
      sh(lab, 'rc', 'iperf3 -s -D');
      sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1 &');
      sh(lab, 'ep', 'sleep 0.3');
      return sh(lab, 'ep', 'wait').stdout;
    };
    expect(run()).toBe(run());
    const lab = bootLab({ seed: 4 });
    expect(sh(lab, 'ep', 'ethtool -l ntb0 &')).toEqual({ stdout: '', stderr: 'bash: the lab runs only iperf3, sleep, tcpdump, ping and mpstat in the background (`&`)\n', status: 2 });
    expect(sh(lab, 'ep', 'iperf3 -c 10.0.0.1 | cat &')).toEqual({ stdout: '', stderr: "bash: the lab's shell runs no pipeline in the background (`&`)\n", status: 2 });
    expect(sh(lab, 'ep', 'sleep 1 && sleep 2').stderr).toBe("bash: the lab's shell runs no `&&` lists\n");
    expect(sh(lab, 'ep', 'sleep 1 & sleep 2').stderr).toBe("bash: the lab's shell runs one command per line: nothing may follow a background `&`\n");
    expect(sh(lab, 'ep', '&').stderr).toBe("bash: syntax error near unexpected token `&'\n");
    expect(sh(lab, 'ep', 'wait %1')).toEqual({ stdout: '', stderr: 'bash: wait: %1: no such job\n', status: 127 });
    expect(sh(lab, 'ep', 'jobs')).toEqual({ stdout: '', stderr: '', status: 0 });
    // A job's early iperf3 error goes to the terminal at once; the shell's status is 0, as for any `&`.
    expect(sh(lab, 'ep', 'iperf3 -c nohost &')).toEqual({ stdout: 'iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Name or service not known\n', stderr: '', status: 0 });
    expect(sh(lab, 'ep', 'echo x').stdout).toBe('x\n');
  });
  it("a client job's flush shows each interval as its reporter prints it (a foreground wait calls it before a Ctrl-C can land), where the 100 ms look alone lags", () => {
    /** Virtual time (ns) at which each of the first four 0.25 s intervals first shows on the terminal, looking every 1 ms. */
    const shownAt = (flush: boolean): number[] => {
      const lab = bootLab({ seed: 4 });
      sh(lab, 'rc', 'iperf3 -s -D');
      sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 2 -i 0.25 &');
      const job = lastJob(lab.boards.ep);
      expect(job?.flush).toBeDefined();
      let text = '';
      const at: number[] = [];
      while (at.length < 4 && lab.sim.now < 3e9) {
        lab.sim.run({ until: lab.sim.now + 1_000_000 });
        if (flush) job?.flush?.();
        text += takeJobOutput(lab.boards.ep);
        const n = (text.match(/^\[ {2}5\] +\d+\.\d\d-\d+\.\d\d +sec /gm) ?? []).length;
        while (at.length < n) at.push(lab.sim.now);
      }
      return at;
    };
    const gaps = (at: number[]): number[] => at.slice(1).map((t, i) => t - (at[i] ?? 0));
    // Flushed: a line 0.25 s after the one before, to the 1 ms step.
    for (const g of gaps(shownAt(true))) expect(Math.abs(g - 250e6)).toBeLessThanOrEqual(1e6);
    // Looked at every 100 ms only: the lines come on the look's grid, 0.2 or 0.3 s apart.
    for (const g of gaps(shownAt(false))) expect(Math.abs(g - 250e6)).toBeGreaterThan(40e6);
  });
});
