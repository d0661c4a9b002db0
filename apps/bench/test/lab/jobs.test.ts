/**
 * Background jobs of the lab's shell (`CMD &`, `jobs`, `wait`): a client test runs while other
 * commands look at the boards, its report arrives through the board's terminal, and a script
 * waits for what is still running at its end.
 */
import { describe, expect, it } from 'vitest';
import { labCommands } from '../../src/commands.js';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { defaultVars, runScript } from '../../src/lab/script.js';
import { runLine } from '../../src/lab/shell.js';
import type { CommandResult } from '../../src/types.js';

function sh(lab: Lab, board: 'rc' | 'ep', line: string): CommandResult {
  return runLine(line, { lab, board: lab.boards[board], vars: defaultVars(lab, lab.boards[board]) }, labCommands());
}

describe('background jobs', () => {
  it('runs an iperf3 client while other commands look at the boards; wait prints its report', () => {
    const lab = bootLab({ seed: 4 });
    expect(sh(lab, 'rc', 'iperf3 -s -D').status).toBe(0);
    const t0 = lab.sim.now;
    // As on a terminal: `Connecting to host …` at once, the rest as the test reaches it.
    const started = sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 2 -i 1 &');
    expect(started).toEqual({ stdout: 'Connecting to host 10.0.0.1, port 5201\n', stderr: '', status: 0 });
    // The shell got its prompt back at once: only the program's start went by.
    expect(lab.sim.now - t0).toBeLessThan(10e6);
    expect(sh(lab, 'ep', 'jobs')).toEqual({ stdout: `[1]+  ${'Running'.padEnd(24)}iperf3 -c 10.0.0.1 -t 2 -i 1 &\n`, stderr: '', status: 0 });
    const live = sh(lab, 'ep', 'sleep 1').stdout;
    expect(live).toMatch(/^\[ {2}5\] local 10\.0\.0\.2 port \d+ connected to 10\.0\.0\.1 port 5201\n/);
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
    expect(during.stdout).toMatch(/^\[ {2}5\] local .*iperf Done\.\n$/s);
    sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1 -i 0 &');
    // The job ends while the RC's command runs: the EP's terminal shows it at its next command.
    expect(sh(lab, 'rc', 'sleep 2').stdout).not.toMatch(/iperf Done/);
    const next = sh(lab, 'ep', 'echo next');
    expect(next.stdout).toMatch(/^\[ {2}5\] local .*iperf Done\.\nnext\n$/s);
  });

  it('numbers jobs as bash does and runs sleep as a job; a script waits at its end for the jobs still running', () => {
    const lab = bootLab({ seed: 4 });
    sh(lab, 'ep', 'sleep 3 &');
    sh(lab, 'ep', 'sleep 1 &');
    expect(sh(lab, 'ep', 'jobs').stdout).toBe(`[1]-  ${'Running'.padEnd(24)}sleep 3 &\n[2]+  ${'Running'.padEnd(24)}sleep 1 &\n`);
    sh(lab, 'ep', 'sleep 1.5');
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

  it('refuses to signal an iperf3 client job (nothing signalled, the server left running), and the test runs to its end', () => {
    const lab = bootLab({ seed: 4 });
    sh(lab, 'rc', 'iperf3 -s -D');
    sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1 -i 0 &');
    const refusal = "the lab cannot signal an iperf3 client running as a job (`wait` for it: a background test runs to its end)\n";
    expect(sh(lab, 'ep', 'killall iperf3')).toEqual({ stdout: '', stderr: `killall: ${refusal}`, status: 1 });
    expect(sh(lab, 'ep', 'pkill iperf3')).toEqual({ stdout: '', stderr: `pkill: ${refusal}`, status: 1 });
    expect(sh(lab, 'ep', 'wait').stdout).toMatch(/iperf Done\.\n$/);
    expect(sh(lab, 'ep', 'killall iperf3')).toEqual({ stdout: '', stderr: 'iperf3: no process found\n', status: 1 });
    expect(sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1 -i 0').status).toBe(0);
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
    expect(sh(lab, 'ep', 'ping -c 1 10.0.0.1 &')).toEqual({ stdout: '', stderr: 'bash: the lab runs only iperf3 and sleep in the background (`&`)\n', status: 2 });
    expect(sh(lab, 'ep', 'iperf3 -c 10.0.0.1 | cat &')).toEqual({ stdout: '', stderr: "bash: the lab's shell runs no pipeline in the background (`&`)\n", status: 2 });
    expect(sh(lab, 'ep', 'sleep 1 && sleep 2').stderr).toBe("bash: the lab's shell runs no `&&` lists\n");
    expect(sh(lab, 'ep', 'sleep 1 & sleep 2').stderr).toBe("bash: the lab's shell runs one command per line: nothing may follow a background `&`\n");
    expect(sh(lab, 'ep', '&').stderr).toBe("bash: syntax error near unexpected token `&'\n");
    expect(sh(lab, 'ep', 'wait %1')).toMatchObject({ status: 2 });
    expect(sh(lab, 'ep', 'jobs')).toEqual({ stdout: '', stderr: '', status: 0 });
    // A job's early iperf3 error goes to the terminal at once; the shell's status is 0, as for any `&`.
    expect(sh(lab, 'ep', 'iperf3 -c nohost &')).toEqual({ stdout: 'iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Name or service not known\n', stderr: '', status: 0 });
    expect(sh(lab, 'ep', 'echo x').stdout).toBe('x\n');
  });
});
