import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Drive `ntb-bench lab` through a pseudo-terminal (util-linux `script`), typing `lines`. */
function session(lines: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('script', ['-qec', `node ${cli} lab`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
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
      p.stdin.write(`${line}\n`);
      setTimeout(typeNext, 300);
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
});
