import { describe, expect, it } from 'vitest';
import { labCommands } from '../../../src/commands.js';
import { bootLab, type Lab } from '../../../src/lab/lab.js';
import { runScript } from '../../../src/lab/script.js';
import { iperf3, takeServerOutput } from '../../../src/tools/iperf3/index.js';
import type { CommandResult } from '../../../src/types.js';

function lab(seed = 11): Lab {
  return bootLab({ seed, sysctl: { 'net.core.wmem_max': 1 << 30, 'net.core.rmem_max': 1 << 30 } });
}

function run(l: Lab, board: 'rc' | 'ep', line: string): CommandResult {
  return iperf3(['iperf3', ...line.split(' ')], { lab: l, board: l.boards[board], vars: new Map() });
}

/** Run lab shell lines (`board$ command`) and return each command's result. */
function sh(l: Lab, lines: readonly string[]): CommandResult[] {
  return runScript(l, `${lines.join('\n')}\n`, { name: 't', keepGoing: true, commands: labCommands() }).steps.map((s) => s.result);
}

/** The local ports of the `[ ID] local … port N connected to …` lines. */
const localPorts = (text: string): number[] => [...text.matchAll(/^\[ *\d+\] local 10\.0\.0\.2 port (\d+) connected to/gm)].map((m) => Number(m[1]));

const IECONNECT = 'iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.';

describe('iperf3 --cport and --connect-timeout', () => {
  it('--cport binds the data streams to consecutive ports (a --bidir test\'s receiving ones after its sending ones); the control connection stays ephemeral', () => {
    const l = lab();
    run(l, 'rc', '-s');
    const tcp = run(l, 'ep', '-c 10.0.0.1 -t 1 -P 3 --cport 7000');
    expect(tcp.status).toBe(0);
    expect(localPorts(tcp.stdout)).toEqual([7000, 7001, 7002]);
    const srv = takeServerOutput(l.boards.rc);
    expect(srv).toContain('[  5] local 10.0.0.1 port 5201 connected to 10.0.0.2 port 7000\n');
    expect(Number(/^Accepted connection from 10\.0\.0\.2, port (\d+)$/m.exec(srv)?.[1])).toBeGreaterThan(7002);
    const bidir = run(l, 'ep', '-c 10.0.0.1 -t 1 -P 2 --bidir --cport 7100');
    expect(localPorts(bidir.stdout)).toEqual([7100, 7101, 7102, 7103]);
    expect(bidir.stdout).toMatch(/\[ {2}9\]\[RX-C\] .* receiver\n/);
    const udp = run(l, 'ep', '-c 10.0.0.1 -u -t 1 -P 2 --cport 7200');
    expect(udp.status).toBe(0);
    expect(localPorts(udp.stdout)).toEqual([7200, 7201]);
  });

  it('a --cport port in use: `unable to connect stream: Address already in use` after `Connecting to host`, status 1, and the server goes on', () => {
    const l = lab();
    run(l, 'rc', '-s');
    takeServerOutput(l.boards.rc);
    // A TCP listener on the client's board holds 7301; UDP's 11111 is sockperf's.
    run(l, 'ep', '-s -p 7301 -D');
    const busy = run(l, 'ep', '-c 10.0.0.1 -t 1 -P 2 --cport 7300');
    expect(busy).toEqual({ stdout: 'Connecting to host 10.0.0.1, port 5201\n', stderr: 'iperf3: error - unable to connect stream: Address already in use\n', status: 1 });
    const [sp, udp] = sh(l, ['ep$ sockperf server -i 0.0.0.0', 'ep$ iperf3 -c 10.0.0.1 -u -t 1 --cport 11111 -J']);
    expect(sp?.status).toBe(0);
    expect(udp?.status).toBe(1);
    expect((JSON.parse(udp?.stdout ?? '{}') as { error: string }).error).toBe('error - unable to connect stream: Address already in use');
    l.sim.run({ until: l.sim.now + 50_000_000 });
    expect(takeServerOutput(l.boards.rc)).toMatch(/^Accepted connection from 10\.0\.0\.2, port \d+\niperf3: the client has unexpectedly closed the connection\n-{59}\nServer listening on 5201 \(test #2\)\n/);
    expect(run(l, 'ep', '-c 10.0.0.1 -t 1').status).toBe(0);
  });

  it('--connect-timeout: a server that does not answer (its ntb0 down) fails after the timeout with ETIMEDOUT — unless connect fails first, as without it', () => {
    const l = lab();
    sh(l, ['rc$ iperf3 -s', 'rc$ ip link set ntb0 down']);
    const elapsed = (line: string): { readonly r: CommandResult; readonly s: number } => {
      const t0 = l.sim.now;
      const r = run(l, 'ep', line);
      return { r, s: (l.sim.now - t0) / 1e9 };
    };
    const timed = elapsed('-c 10.0.0.1 --connect-timeout 1500');
    expect(timed.r).toEqual({ stdout: '', stderr: `${IECONNECT}: Connection timed out\n`, status: 1 });
    expect(timed.s).toBeGreaterThanOrEqual(1.5);
    expect(timed.s).toBeLessThan(1.6);
    // The neighbour entry fails within seconds: that error comes first, as it does without a timeout.
    const long = elapsed('-c 10.0.0.1 --connect-timeout 10000');
    expect(long.r.stderr).toBe(`${IECONNECT}: No route to host\n`);
    expect(long.s).toBeLessThan(10);
    expect(run(l, 'ep', '-c 10.0.0.1').stderr).toBe(`${IECONNECT}: No route to host\n`);
    // -J: the error in the document.
    const j = JSON.parse(run(l, 'ep', '-c 10.0.0.1 --connect-timeout 100 -J').stdout) as { error: string };
    expect(j.error).toBe('error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Connection timed out');
  });

  it('--connect-timeout over a hardware link that is down (fault link down), and no effect on a server that answers', () => {
    const l = lab();
    const [, down, timed] = sh(l, ['rc$ iperf3 -s', 'rc$ fault link down', 'ep$ iperf3 -c 10.0.0.1 --connect-timeout 250']);
    expect(down?.status).toBe(0);
    expect(timed?.stderr).toBe(`${IECONNECT}: Connection timed out\n`);
    const up = sh(l, ['rc$ fault link up', 'ep$ sleep 2', 'ep$ iperf3 -c 10.0.0.1 -t 1 --connect-timeout 250']);
    expect(up.at(-1)?.status).toBe(0);
    expect(up.at(-1)?.stdout).toMatch(/\niperf Done\.\n$/);
  });
});
