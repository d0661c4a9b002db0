import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/**
 * `script`'s arguments to run `ntb-bench ARGS` on a pseudo-terminal. `script -c` runs the line
 * with $SHELL, or /bin/sh without one; `exec` makes node the terminal's foreground process
 * itself, so a Ctrl-C reaches it alone — a shell left waiting (dash) would die of the SIGINT first.
 */
function onPty(args: string): string[] {
  return ['-qec', `exec node ${cli} ${args}`, '/dev/null'];
}

/**
 * Drive `ntb-bench lab` through a pseudo-terminal (util-linux `script`), typing `lines`; a line
 * ending in a Tab is typed in three keystroke bursts (text, Tab, Enter), as readline completes
 * only a Tab that does not arrive in the same chunk as other keys (it takes those as a paste);
 * a line ending in Ctrl-C (`\x03`) is typed without Enter; a RegExp waits until the output
 * matches it before the next line is typed.
 */
function session(lines: (string | RegExp)[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('script', onPty('lab'), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out }));
    let i = 0;
    const typeNext = (): void => {
      const line = lines[i++];
      if (line === undefined) return;
      if (line instanceof RegExp) {
        const poll = setInterval(() => {
          if (line.test(out)) {
            clearInterval(poll);
            typeNext();
          }
        }, 50);
        return;
      }
      if (line.endsWith('\x03')) {
        p.stdin.write(line);
        setTimeout(typeNext, 600);
        return;
      }
      if (!line.endsWith('\t')) {
        p.stdin.write(`${line}\n`);
        setTimeout(typeNext, 300);
        return;
      }
      p.stdin.write(line.slice(0, -1));
      setTimeout(() => p.stdin.write('\t'), 200);
      setTimeout(() => p.stdin.write('\n'), 400);
      setTimeout(typeNext, 700);
    };
    const waitPrompt = setInterval(() => {
      if (out.includes('ep$ ')) {
        clearInterval(waitPrompt);
        typeNext();
      }
    }, 100);
  });
}

describe.skipIf(!existsSync('/usr/bin/script'))('interactive lab through a pseudo-terminal', () => {
  it('prompts per board, runs commands on the chosen board, switches boards and exits', async () => {
    expect(existsSync(cli)).toBe(true);
    const { code, out } = await session(['ep$ ethtool -l ntb0', 'rc', 'ip link set ntb0 mtu 99999', 'frobnicate', 'exit']);
    expect(code).toBe(0);
    expect(out).toContain("'rc$ CMD' or 'ep$ CMD'");
    expect(out).toContain('Channel parameters for ntb0:');
    expect(out).toContain('rc$ ');
    expect(out).toContain('Error: mtu greater than device maximum.');
    expect(out).toContain('bash: frobnicate: command not found');
  }, 60_000);

  it('Tab completes a path on the board the line runs on, and a command name after a pipe', async () => {
    const { code, out } = await session(['rc$ cat /proc/inter\t', 'ep$ dmesg | gre\t', 'exit']);
    expect(code).toBe(0);
    expect(out).toContain('rc$ cat /proc/interrupts');
    expect(out).toMatch(/ +CPU0 +CPU1/);
    // After a `|` the word is a command: `gre` completes to grep, which then lacks its pattern.
    expect(out).toContain('ep$ dmesg | grep');
    expect(out).toContain("Usage: grep [OPTION]... PATTERNS [FILE]...");
  }, 60_000);

  it('stops at exit with lines still piped in after it, as a shell reads no further', async () => {
    const p = spawn('node', [cli, 'lab'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stdin.end('rc$ echo zero\nexit\nrc$ echo one\nep$ echo two\n');
    const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
    expect(code).toBe(0);
    expect(out).toContain('zero\n');
    expect(out).not.toMatch(/one|two/);
  }, 30_000);

  it('a foreground iperf3 streams its intervals and takes Ctrl-C as SIGINT (its interrupt report after ^C); Ctrl-C ends a sleep and discards a line at the prompt', async () => {
    const { code, out } = await session(['rc$ iperf3 -s -D', 'ep$ iperf3 -c 10.0.0.1 -t 600', /1\.00-2\.00/, '\x03', /client has terminated/, 'echo after-iperf3', 'sleep 100000000', '\x03', 'half-typed\x03', 'echo done', 'exit']);
    expect(code).toBe(0);
    const text = out.replace(/\r/g, '');
    // Intervals printed before the interrupt, then iperf3's handler output on the ^C line.
    // (The last interval, closed at the signal, is left out when it is under 10 % of -i with no data.)
    expect(text).toMatch(/\[ {2}5\] +\d+\.00-\d+\.00 +sec .*\n(?:.*\n)*\^C(?:\[ {2}5\] +\d+\.00-\d+\.\d\d +sec .*\n)?- - - /);
    expect(text).toMatch(/ {18}receiver\niperf3: interrupt - the client has terminated\n/);
    expect(text.indexOf('after-iperf3\n')).toBeGreaterThan(text.indexOf('iperf3: interrupt'));
    // sleep dies of SIGINT silently (a new line after ^C); at the prompt ^C drops the line, which never runs.
    expect(text).toMatch(/sleep 100000000\n\^C\n/);
    expect(text).toContain('half-typed^C\n');
    expect(text).not.toContain('half-typed: command not found');
    expect(text).toContain('done\n');
  }, 60_000);

  it('a foreground mpstat reports at the wall clock pace; Ctrl-C prints its Average on the line after ^C', async () => {
    const { code, out } = await session(['mpstat 1', /00:00:01 +all/, '\x03', /Average:/, 'exit']);
    expect(code).toBe(0);
    const text = out.replace(/\r/g, '');
    expect(text).toMatch(/\n00:00:00 +CPU +%usr .*\n00:00:01 +all( +\d+\.\d\d){10}\n(?:.*\n)*\^C\nAverage: +all( +\d+\.\d\d){10}\n/);
  }, 60_000);

  it('the one-shot iperf3 on a terminal streams its intervals and takes Ctrl-C as iperf3 does (its interrupt report, exit status 1)', async () => {
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const p = spawn('script', onPty('iperf3 -c 10.0.0.1 -t 600'), { stdio: ['pipe', 'pipe', 'pipe'] });
      let text = '';
      let sent = false;
      p.stdout.on('data', (b: Buffer) => {
        text += b.toString();
        // Interrupt once the first interval has shown: the test was streaming, not yet over.
        if (!sent && text.includes('0.00-1.00')) {
          sent = true;
          p.stdin.write('\x03');
        }
      });
      p.on('error', reject);
      p.on('close', (c) => resolve({ code: c, out: text.replace(/\r/g, '') }));
    });
    expect(code).toBe(1);
    expect(out).toMatch(/\^C(?:\[ {2}5\] +\d+\.00-\d+\.\d\d +sec .*\n)?- - - [^]* {18}receiver\niperf3: interrupt - the client has terminated\n$/);
    expect(out).not.toContain('iperf Done.');
  }, 60_000);

  it('the one-shot ping on a terminal runs at the wall clock (a request a second) until Ctrl-C, then prints its statistics (exit 0)', async () => {
    const t0 = Date.now();
    let seq2At = 0;
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const p = spawn('script', onPty('ping 10.0.0.1'), { stdio: ['pipe', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.on('data', (b: Buffer) => {
        text += b.toString();
        if (seq2At === 0 && text.includes('icmp_seq=2 ')) {
          seq2At = Date.now();
          p.stdin.write('\x03');
        }
      });
      p.on('error', reject);
      p.on('close', (c) => resolve({ code: c, out: text.replace(/\r/g, '') }));
    });
    expect(code).toBe(0);
    // The second request goes a second after the first, in wall time too.
    expect(seq2At - t0).toBeGreaterThanOrEqual(1000);
    expect(out).toMatch(/^PING 10\.0\.0\.1 \(10\.0\.0\.1\) 56\(84\) bytes of data\.\n64 bytes from 10\.0\.0\.1: icmp_seq=1 ttl=64 time=[\d.]+ ms\n64 bytes from 10\.0\.0\.1: icmp_seq=2 ttl=64 time=[\d.]+ ms\n(?:64 bytes from 10\.0\.0\.1: icmp_seq=3 ttl=64 time=[\d.]+ ms\n)?\^C\n--- 10\.0\.0\.1 ping statistics ---\n[23] packets transmitted, [23] received, 0% packet loss, time [12]\d\d\dms\nrtt min\/avg\/max\/mdev = [\d./]+ ms\n$/);
  }, 60_000);
});
