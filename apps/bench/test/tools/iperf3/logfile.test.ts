/**
 * iperf3 --logfile: iperf_run_client and iperf_run_server open the file for append first; then
 * iperf_printf and iperf_err write there (a -D server's too), warning() stays on standard error.
 */
import { describe, expect, it } from 'vitest';
import { labCommands } from '../../../src/commands.js';
import { bootLab, type Lab } from '../../../src/lab/lab.js';
import { defaultVars } from '../../../src/lab/script.js';
import { runLine } from '../../../src/lab/shell.js';
import type { CommandResult } from '../../../src/types.js';

function shell(lab: Lab): (board: 'rc' | 'ep', line: string) => CommandResult {
  const commands = labCommands();
  const vars = { rc: defaultVars(lab, lab.boards.rc), ep: defaultVars(lab, lab.boards.ep) };
  return (board, line) => runLine(line, { lab, board: lab.boards[board], vars: vars[board] }, commands);
}

describe('iperf3 --logfile', () => {
  it("a client's report goes into the file, appended run after run; the terminal shows nothing but warnings; the file matches what the terminal would have shown", () => {
    const sh = shell(bootLab({ seed: 2 }));
    sh('rc', 'iperf3 -s -D');
    const plain = shell(bootLab({ seed: 2 }));
    plain('rc', 'iperf3 -s -D');
    const onTerminal = plain('ep', 'iperf3 -c 10.0.0.1 -t 1');
    expect(sh('ep', 'iperf3 -c 10.0.0.1 -t 1 --logfile run.log')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('ep', 'cat run.log').stdout).toBe(onTerminal.stdout);
    expect(sh('ep', 'iperf3 -c 10.0.0.1 -t 1 -J -f m --logfile run.log')).toEqual({ stdout: '', stderr: 'warning: Report format (-f) flag ignored with JSON output (-J)\n', status: 0 });
    const text = sh('ep', 'cat run.log').stdout;
    expect(text.startsWith(onTerminal.stdout)).toBe(true);
    expect((JSON.parse(text.slice(onTerminal.stdout.length)) as { end: { sum_received: { bytes: number } } }).end.sum_received.bytes).toBeGreaterThan(0);
    // iperf_err goes to the file as well; the status is iperf3's.
    expect(sh('ep', 'iperf3 -c 10.0.0.1 -p 5999 --logfile run.log')).toEqual({ stdout: '', stderr: '', status: 1 });
    expect(sh('ep', 'tail -n 1 run.log').stdout).toBe('iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Connection refused\n');
  });

  it('a -D server logs its banner and each test into the file; a client job writes its lines into its file as it runs', () => {
    const sh = shell(bootLab({ seed: 2 }));
    expect(sh('rc', 'iperf3 -s -D --logfile /tmp/server.log')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('rc', 'cat /tmp/server.log').stdout).toBe('-----------------------------------------------------------\nServer listening on 5201 (test #1)\n-----------------------------------------------------------\n');
    expect(sh('ep', 'iperf3 -c 10.0.0.1 -t 2 --logfile job.log &')).toEqual({ stdout: '', stderr: '', status: 0 });
    sh('ep', 'sleep 1.5');
    expect(sh('ep', 'grep -c "sec" job.log').stdout).toBe('1\n');
    expect(sh('ep', 'wait')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('ep', 'tail -n 1 job.log').stdout).toBe('iperf Done.\n');
    const server = sh('rc', 'cat /tmp/server.log').stdout;
    expect(server).toMatch(/Accepted connection from 10\.0\.0\.2, port \d+\n/);
    expect(server).toMatch(/ +receiver\n-+\nServer listening on 5201 \(test #2\)\n-+\n$/);
    // The server's terminal shows none of it.
    expect(sh('rc', 'echo').stdout).toBe('\n');
  });

  it('a file it cannot open: IELOGFILE with the errno, before anything else runs (the server also says exiting; with -D the shell sees 0)', () => {
    const lab = bootLab({ seed: 2 });
    const sh = shell(lab);
    expect(sh('ep', 'iperf3 -c 10.0.0.1 --logfile /nope/x')).toEqual({ stdout: '', stderr: 'iperf3: error - unable to open log file: No such file or directory\n', status: 1 });
    expect(sh('rc', 'iperf3 -s --logfile /tmp')).toEqual({ stdout: '', stderr: 'iperf3: error - unable to open log file: Is a directory\niperf3: exiting\n', status: 1 });
    expect(sh('rc', 'iperf3 -s -D --logfile /x')).toEqual({ stdout: '', stderr: '', status: 0 });
    // No server was started: a client is refused.
    expect(sh('ep', 'iperf3 -c 10.0.0.1 -t 1').status).toBe(1);
  });
});
