import { describe, expect, it } from 'vitest';
import { bootLab } from '../../src/lab/lab.js';
import { serversOn } from '../../src/tools/iperf3/index.js';
import { sh } from '../labShell.js';


const REFUSED = 'iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Connection refused\n';

describe('killall and pkill stop the iperf3 servers of a board', () => {
  it('killall iperf3 stops a daemon (silently) and every other server of the board; the port refuses connections after', () => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'rc', 'sudo iperf3 -s -D').status).toBe(0);
    expect(sh(lab, 'rc', 'iperf3 -s -p 5300 -D').status).toBe(0);
    expect(sh(lab, 'ep', 'iperf3 -s -D').status).toBe(0);
    expect(sh(lab, 'rc', 'sudo killall iperf3')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(serversOn(lab, lab.boards.rc)).toBe(0);
    expect(serversOn(lab, lab.boards.ep)).toBe(1);
    expect(sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1')).toEqual({ stdout: '', stderr: REFUSED, status: 1 });
    expect(sh(lab, 'rc', 'killall iperf3')).toEqual({ stdout: '', stderr: 'iperf3: no process found\n', status: 1 });
    expect(sh(lab, 'rc', 'killall -q iperf3')).toEqual({ stdout: '', stderr: '', status: 1 });
    // The port is free again: a new server listens on it.
    expect(sh(lab, 'rc', 'iperf3 -s -D').status).toBe(0);
    expect(sh(lab, 'ep', 'iperf3 -c 10.0.0.1 -t 1').status).toBe(0);
  });

  it("SIGTERM, SIGINT and SIGHUP run iperf3's handler: a foreground server prints its interrupt line, as text or in its -J object; SIGKILL prints nothing", () => {
    const lab = bootLab({ seed: 3 });
    sh(lab, 'rc', 'iperf3 -s');
    expect(sh(lab, 'rc', 'killall -INT iperf3')).toEqual({ stdout: 'iperf3: interrupt - the server has terminated\n', stderr: '', status: 0 });
    sh(lab, 'rc', 'iperf3 -s -J');
    const j = sh(lab, 'rc', 'killall -s HUP iperf3');
    expect(j.status).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ start: { connected: [], version: 'iperf 3.12' }, intervals: [], end: {}, error: 'interrupt - the server has terminated' });
    sh(lab, 'rc', 'iperf3 -s');
    expect(sh(lab, 'rc', 'killall -9 iperf3')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(serversOn(lab, lab.boards.rc)).toBe(0);
  });

  it('signals a server ignores leave it running; killall counts it as found', () => {
    const lab = bootLab({ seed: 3 });
    sh(lab, 'rc', 'iperf3 -s -D');
    expect(sh(lab, 'rc', 'killall -s WINCH iperf3')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, 'rc', 'pkill -0 iperf3')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(serversOn(lab, lab.boards.rc)).toBe(1);
  });

  it('pkill matches an extended regular expression against the name (-x whole, -i any case), -c counts; no match is status 1 and silent', () => {
    const lab = bootLab({ seed: 3 });
    sh(lab, 'rc', 'iperf3 -s -D');
    sh(lab, 'rc', 'iperf3 -s -p 5300 -D');
    expect(sh(lab, 'rc', 'pkill -x iperf')).toEqual({ stdout: '', stderr: '', status: 1 });
    expect(sh(lab, 'rc', 'pkill -c nothing')).toEqual({ stdout: '0\n', stderr: '', status: 1 });
    expect(sh(lab, 'rc', 'pkill -c -i "^IPERF[0-9]$"')).toEqual({ stdout: '2\n', stderr: '', status: 0 });
    expect(serversOn(lab, lab.boards.rc)).toBe(0);
    sh(lab, 'rc', 'iperf3 -s -D');
    expect(sh(lab, 'rc', 'pkill --signal=KILL perf')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, 'rc', 'pkill iperf')).toEqual({ stdout: '', stderr: '', status: 1 });
  });

  it('refuses, changing nothing, to signal a sockperf server or to stop a process with SIGSTOP', () => {
    const lab = bootLab({ seed: 3 });
    sh(lab, 'rc', 'iperf3 -s -D');
    sh(lab, 'rc', 'sockperf sr');
    expect(sh(lab, 'rc', 'killall iperf3 sockperf')).toEqual({ stdout: '', stderr: 'killall: the lab cannot signal sockperf (its servers keep running)\n', status: 1 });
    expect(sh(lab, 'rc', 'pkill -STOP iperf3').status).toBe(1);
    expect(serversOn(lab, lab.boards.rc)).toBe(1);
    // A name that matches only the iperf3 server is fine.
    expect(sh(lab, 'rc', 'killall iperf3').status).toBe(0);
  });
});
