/**
 * iperf3 --logfile: iperf_run_client and iperf_run_server open the file for append first; then
 * iperf_printf and iperf_err write there (a -D server's too), warning() stays on standard error.
 */
import { describe, expect, it } from 'vitest';
import { bootLab } from '../../../src/lab/lab.js';
import { labShell as shell } from '../../labShell.js';

describe('iperf3 --logfile', () => {
  it("a client's report goes into the file, appended run after run; the terminal shows nothing but warnings; the file matches what the terminal would have shown", () => {
    const sh = shell(bootLab({ seed: 2 }));
    sh('iperf3 -s -D', 'rc');
    const plain = shell(bootLab({ seed: 2 }));
    plain('iperf3 -s -D', 'rc');
    const onTerminal = plain('iperf3 -c 10.0.0.1 -t 1', 'ep');
    expect(sh('iperf3 -c 10.0.0.1 -t 1 --logfile run.log', 'ep')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('cat run.log', 'ep').stdout).toBe(onTerminal.stdout);
    expect(sh('iperf3 -c 10.0.0.1 -t 1 -J -f m --logfile run.log', 'ep')).toEqual({ stdout: '', stderr: 'warning: Report format (-f) flag ignored with JSON output (-J)\n', status: 0 });
    const text = sh('cat run.log', 'ep').stdout;
    expect(text.startsWith(onTerminal.stdout)).toBe(true);
    expect((JSON.parse(text.slice(onTerminal.stdout.length)) as { end: { sum_received: { bytes: number } } }).end.sum_received.bytes).toBeGreaterThan(0);
    // iperf_err goes to the file as well; the status is iperf3's.
    expect(sh('iperf3 -c 10.0.0.1 -p 5999 --logfile run.log', 'ep')).toEqual({ stdout: '', stderr: '', status: 1 });
    expect(sh('tail -n 1 run.log', 'ep').stdout).toBe('iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Connection refused\n');
  });

  it('a -D server logs its banner and each test into the file; a client job writes its lines into its file as it runs', () => {
    const sh = shell(bootLab({ seed: 2 }));
    expect(sh('iperf3 -s -D --logfile /tmp/server.log', 'rc')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('cat /tmp/server.log', 'rc').stdout).toBe('-----------------------------------------------------------\nServer listening on 5201 (test #1)\n-----------------------------------------------------------\n');
    expect(sh('iperf3 -c 10.0.0.1 -t 2 --logfile job.log &', 'ep')).toEqual({ stdout: '', stderr: '', status: 0 });
    sh('sleep 1.5', 'ep');
    expect(sh('grep -c "sec" job.log', 'ep').stdout).toBe('1\n');
    expect(sh('wait', 'ep')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('tail -n 1 job.log', 'ep').stdout).toBe('iperf Done.\n');
    const server = sh('cat /tmp/server.log', 'rc').stdout;
    expect(server).toMatch(/Accepted connection from 10\.0\.0\.2, port \d+\n/);
    expect(server).toMatch(/ +receiver\n-+\nServer listening on 5201 \(test #2\)\n-+\n$/);
    // The server's terminal shows none of it.
    expect(sh('echo', 'rc').stdout).toBe('\n');
  });

  it('a file it cannot open: IELOGFILE with the errno, before anything else runs (the server also says exiting; with -D the shell sees 0)', () => {
    const lab = bootLab({ seed: 2 });
    const sh = shell(lab);
    expect(sh('iperf3 -c 10.0.0.1 --logfile /nope/x', 'ep')).toEqual({ stdout: '', stderr: 'iperf3: error - unable to open log file: No such file or directory\n', status: 1 });
    expect(sh('iperf3 -s --logfile /tmp', 'rc')).toEqual({ stdout: '', stderr: 'iperf3: error - unable to open log file: Is a directory\niperf3: exiting\n', status: 1 });
    expect(sh('iperf3 -s -D --logfile /x', 'rc')).toEqual({ stdout: '', stderr: '', status: 0 });
    // No server was started: a client is refused.
    expect(sh('iperf3 -c 10.0.0.1 -t 1', 'ep').status).toBe(1);
  });
});
