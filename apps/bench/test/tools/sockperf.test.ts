import { describe, expect, it } from 'vitest';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { formatPingPongStatistics, formatStreamStatistics, sockperf } from '../../src/tools/sockperf.js';

describe('sockperf report', () => {
  it('prints sockperf 3.10 statistics from the recorded send and reply times', () => {
    const tx: number[] = [];
    const rx: number[] = [];
    for (let i = 0; i < 1000; i++) {
      tx.push(i * 1_000_000);
      rx.push(i * 1_000_000 + 20_000 + (i % 10) * 200);
    }
    rx[700] = -1;
    const text = formatPingPongStatistics({ tx, rx, startNs: 0, endNs: 1_000_000_000, fullRtt: false });
    expect(text).toBe(
      [
        'sockperf: [Total Run] RunTime=1.000 sec; Warm up time=400 msec; SentMessages=1000; ReceivedMessages=999',
        'sockperf: ========= Printing statistics for Server No: 0',
        'sockperf: [Valid Duration] RunTime=0.549 sec; SentMessages=550; ReceivedMessages=549',
        'sockperf: ====> avg-latency=10.450 (std-dev=0.287, mean-ad=0.249, median-ad=0.296, siqr=0.250, cv=0.027, std-error=0.012, 99.0% ci=[10.418, 10.482])',
        'sockperf: # dropped messages = 1; # duplicated messages = 0; # out-of-order messages = 0',
        'sockperf: Summary: Latency is 10.450 usec',
        'sockperf: Total 549 observations; each percentile contains 5.49 observations',
        'sockperf: ---> <MAX> observation =   10.900',
        'sockperf: ---> percentile 99.999 =   10.900',
        'sockperf: ---> percentile 99.990 =   10.900',
        'sockperf: ---> percentile 99.900 =   10.900',
        'sockperf: ---> percentile 99.000 =   10.900',
        'sockperf: ---> percentile 90.000 =   10.800',
        'sockperf: ---> percentile 75.000 =   10.700',
        'sockperf: ---> percentile 50.000 =   10.500',
        'sockperf: ---> percentile 25.000 =   10.200',
        'sockperf: ---> <MIN> observation =   10.000',
        '',
      ].join('\n'),
    );
  });

  it('prints stream_statistics as sockperf 3.10 does (the published R-Car S4 figures: 86362 messages of 65400 B in 10 s)', () => {
    expect(formatStreamStatistics(86362, 10e9, 65400, Infinity)).toBe(
      [
        'sockperf: Total of 86362 messages sent in 10.000 sec',
        '',
        'sockperf: \x1b[2;35mNOTE: test was performed, using msg-size=65400. For getting maximum throughput consider using --msg-size=1472\x1b[0m',
        'sockperf: Summary: Message Rate is 8636 [msg/sec], Packet Rate is about 388620 [pkt/sec] (45 ip frags / msg)',
        'sockperf: Summary: BandWidth is 538.630 MBps (4309.039 Mbps)',
        '',
      ].join('\n'),
    );
    expect(formatStreamStatistics(1000, 1e9, 1472, Infinity)).toBe('sockperf: Total of 1000 messages sent in 1.000 sec\n\nsockperf: Summary: Message Rate is 1000 [msg/sec]\nsockperf: Summary: BandWidth is 1.404 MBps (11.230 Mbps)\n');
    expect(formatStreamStatistics(1000, 1e9, 1472, 1000)).toContain('NOTE: test was performed, using msg-size=1472, mps=1000. For getting maximum throughput use --mps=max');
  });

  it('says when no reply came', () => {
    expect(formatPingPongStatistics({ tx: [0, 1], rx: [-1, -1], startNs: 0, endNs: 1e9, fullRtt: false })).toBe('sockperf: No messages were received from the server. Is the server down?\n');
  });
});

describe('sockperf in the lab', () => {
  const env = (lab: Lab, b: 'rc' | 'ep'): Parameters<typeof sockperf>[1] => ({ lab, board: lab.boards[b], vars: new Map() });

  it('measures UDP and TCP ping-pong latency over ntb0', () => {
    const lab = bootLab({ seed: 5 });
    expect(sockperf(['sockperf', 'server', '-i', '0.0.0.0'], env(lab, 'rc')).stdout).toContain('[ 0] IP = 0.0.0.0         PORT = 11111 # UDP\n');
    expect(sockperf(['sockperf', 'server', '-i', '0.0.0.0', '--tcp'], env(lab, 'rc')).status).toBe(0);
    expect(sockperf(['sockperf', 'server', '--tcp'], env(lab, 'rc')).stderr).toBe('sockperf: ERROR: bind failed: Address already in use\n');
    for (const extra of [[], ['--tcp', '-m', '1000']]) {
      const r = sockperf(['sockperf', 'ping-pong', '-i', '10.0.0.1', ...extra], env(lab, 'ep'));
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/sockperf: Test end \(interrupted by timer\)\nsockperf: Test ended\nsockperf: \[Total Run\] RunTime=1\.000 sec; Warm up time=400 msec; SentMessages=\d+; ReceivedMessages=\d+\n/);
      const avg = /Summary: Latency is ([\d.]+) usec/.exec(r.stdout);
      expect(Number(avg?.[1])).toBeGreaterThan(1);
      expect(r.stdout).toMatch(/---> percentile 99\.900 = +[\d.]+\n/);
    }
  });

  it('throughput (tp): sends back to back for -t seconds, the server replies to none of it; --mps paces it; UDP and TCP', () => {
    const lab = bootLab({ seed: 5 });
    expect(sockperf(['sockperf', 'server', '-i', '0.0.0.0'], env(lab, 'rc')).status).toBe(0);
    expect(sockperf(['sockperf', 'server', '-i', '0.0.0.0', '--tcp'], env(lab, 'rc')).status).toBe(0);
    const rcTx = lab.boards.rc.netdev()?.ndev.stats.txPackets ?? 0;
    const r = sockperf(['sockperf', 'tp', '-i', '10.0.0.1', '-m', '65400', '-t', '2'], env(lab, 'ep'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^sockperf: == version #3\.10-no\.git ==\nsockperf\[CLIENT\] send on:\n\[ 0\] IP = 10\.0\.0\.1 {8}PORT = 11111 # UDP\nsockperf: Warmup stage \(sending a few dummy messages\)\.\.\.\nsockperf: Starting test\.\.\.\nsockperf: Test end \(interrupted by timer\)\nsockperf: Test ended\nsockperf: Total of \d+ messages sent in 2\.000 sec\n/);
    const mbps = Number(/BandWidth is [\d.]+ MBps \(([\d.]+) Mbps\)/.exec(r.stdout)?.[1]);
    // The single-queue RX copy bounds it, as iperf3's UDP runs: ~590 Mb/s.
    expect(mbps).toBeGreaterThan(500);
    expect(mbps).toBeLessThan(700);
    // The RC sent one frame: its ARP reply to the EP's request, no data.
    expect((lab.boards.rc.netdev()?.ndev.stats.txPackets ?? 0) - rcTx).toBe(1);
    const paced = sockperf(['sockperf', 'throughput', '-i', '10.0.0.1', '-m', '1472', '-t', '1', '--mps', '1000'], env(lab, 'ep'));
    expect(paced.stdout).toContain('sockperf: Total of 1000 messages sent in 1.000 sec\n');
    const tcp = sockperf(['sockperf', 'tp', '-i', '10.0.0.1', '--tcp', '-m', '65400', '-t', '1'], env(lab, 'ep'));
    expect(tcp.status).toBe(0);
    expect(tcp.stdout).toContain('PORT = 11111 # TCP\n');
    expect(Number(/Message Rate is (\d+)/.exec(tcp.stdout)?.[1])).toBeGreaterThan(500);
  });

  it('refuses what the lab does not model', () => {
    const lab = bootLab({ seed: 5 });
    expect(sockperf(['sockperf', 'under-load', '-i', '10.0.0.1'], env(lab, 'ep')).stderr).toBe("sockperf: ERROR: unknown or unsupported subcommand 'under-load'; the lab supports: server, ping-pong, throughput\n");
    expect(sockperf(['sockperf', 'ping-pong'], env(lab, 'ep')).stderr).toBe('sockperf: ERROR: -i <ip> is required\n');
  });
});
