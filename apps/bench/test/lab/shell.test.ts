import { describe, expect, it } from 'vitest';
import { labCommands } from '../../src/commands.js';
import { bootLab } from '../../src/lab/lab.js';
import { defaultVars } from '../../src/lab/script.js';
import { parseLine, runLine, splitPipeline, stripComment, SudoError } from '../../src/lab/shell.js';
import { parseScriptLine } from '../../src/lab/script.js';
import { applyParam, parseKernelBool, parseKernelUint, unknownParamMessage } from '../../src/lab/params.js';
import { sh as labSh } from '../labShell.js';

const vars = new Map([['SERVER_IP', '10.0.0.1']]);

describe('shell line parsing', () => {
  it("takes the seed's lines verbatim: sudo dropped, ${SERVER_IP} expanded", () => {
    expect(parseLine('sudo iperf3 -Z -c ${SERVER_IP} -l 65480 -w 512M -P 4', vars)).toEqual({ argv: ['iperf3', '-Z', '-c', '10.0.0.1', '-l', '65480', '-w', '512M', '-P', '4'], patterns: Array<null>(10).fill(null), redirect: null, append: false, redirectPattern: null, stderr: 'terminal', stderrIntoRedirect: false, sudo: true, background: false });
    expect(parseLine('sudo iperf3 -ub0 -c $SERVER_IP', vars).argv).toEqual(['iperf3', '-ub0', '-c', '10.0.0.1']);
  });

  it('handles quotes and redirection', () => {
    expect(parseLine(`echo "a b" 'c $SERVER_IP' > /proc/irq/35/smp_affinity`, vars)).toEqual({ argv: ['echo', 'a b', 'c $SERVER_IP'], patterns: [null, null, null], redirect: '/proc/irq/35/smp_affinity', append: false, redirectPattern: null, stderr: 'terminal', stderrIntoRedirect: false, sudo: false, background: false });
    expect(parseLine('echo 4>/proc/irq/35/smp_affinity', vars)).toEqual({ argv: ['echo', '4'], patterns: [null, null], redirect: '/proc/irq/35/smp_affinity', append: false, redirectPattern: null, stderr: 'terminal', stderrIntoRedirect: false, sudo: false, background: false });
    // `>>` appends; `2>&1` after the file sends standard error there too, before it only to the terminal's standard output (left to right).
    expect(parseLine('iperf3 -c x >> out.txt 2>&1', vars)).toMatchObject({ argv: ['iperf3', '-c', 'x'], redirect: 'out.txt', append: true, stderr: 'stdout', stderrIntoRedirect: true });
    expect(parseLine('iperf3 -c x 2>&1 >out.txt', vars)).toMatchObject({ redirect: 'out.txt', append: false, stderr: 'stdout', stderrIntoRedirect: false });
    // Tilde expansion of an unquoted `~` starting a word (and the redirection's target); quoted or inside a word it stays.
    expect(parseLine("cat ~ ~/a '~/b' a~ > ~/c", new Map([['HOME', '/home/user']]))).toMatchObject({ argv: ['cat', '/home/user', '/home/user/a', '~/b', 'a~'], redirect: '/home/user/c' });
  });

  it('marks the words with unquoted glob characters, quoted ones escaped in the pattern', () => {
    const p = parseLine(`sudo cat /proc/irq/*/smp_affinity '/a*' b\\*c "x?" /d/'[e]'?`, vars);
    expect(p.argv).toEqual(['cat', '/proc/irq/*/smp_affinity', '/a*', 'b*c', 'x?', '/d/[e]?']);
    expect(p.patterns).toEqual([null, '/proc/irq/*/smp_affinity', null, null, null, '/d/\\[e\\]?']);
  });

  it('drops sudo and the sudo options that change nothing in the lab', () => {
    expect(parseLine('sudo -E ethtool -l ntb0', vars).argv).toEqual(['ethtool', '-l', 'ntb0']);
    expect(parseLine('sudo -En -- sudo --preserve-env=PATH ip link', vars).argv).toEqual(['ip', 'link']);
    expect(parseLine('sudo -u root -g root ip link', vars).argv).toEqual(['ip', 'link']);
    expect(parseLine('sudo -uroot --user=root ip link', vars).argv).toEqual(['ip', 'link']);
    expect(() => parseLine('sudo -x ip link', vars)).toThrow("sudo: invalid option -- 'x'");
    expect(() => parseLine('sudo -u', vars)).toThrow("sudo: option requires an argument -- 'u'");
    expect(() => parseLine('sudo -i', vars)).toThrow('sudo: the lab does not model -i (it runs each command as root, in the foreground)');
  });

  it('refuses sudo without a command, as sudo does (its usage, exit status 1): bare, with options, or sudo of sudo', () => {
    for (const line of ['sudo', 'sudo -E', 'sudo -u root', 'sudo --', 'sudo sudo']) expect.soft(() => parseLine(line, vars)).toThrow(SudoError);
    expect(parseLine('', vars).argv).toEqual([]);
  });

  it('splits a pipeline at its unquoted | only; an empty command or a || list is an error', () => {
    expect(splitPipeline(`dmesg | grep 'a|b' | grep "c|d" | grep e\\|f`)).toEqual(['dmesg ', " grep 'a|b' ", ' grep "c|d" ', ' grep e\\|f']);
    expect(splitPipeline('ethtool -l ntb0')).toEqual(['ethtool -l ntb0']);
    expect(() => splitPipeline('| grep x')).toThrow("syntax error near unexpected token `|'");
    expect(() => splitPipeline('dmesg |')).toThrow("syntax error near unexpected token `|'");
    expect(() => splitPipeline('dmesg || true')).toThrow("the lab's shell runs no `||` lists");
  });

  it('takes 2>/dev/null, 2>&1, >> and a globbing redirect target; refuses ; && & < and other stderr targets with a clear message', () => {
    expect(parseLine('cat /x 2>/dev/null', vars)).toMatchObject({ argv: ['cat', '/x'], stderr: 'null', redirect: null });
    expect(parseLine('cat /x 2>&1', vars)).toMatchObject({ argv: ['cat', '/x'], stderr: 'stdout' });
    expect(parseLine("echo 3 >> /proc/irq/1[7]/smp_affinity 2>/dev/null", vars)).toMatchObject({ argv: ['echo', '3'], redirect: '/proc/irq/1[7]/smp_affinity', redirectPattern: '/proc/irq/1[7]/smp_affinity', stderr: 'null' });
    expect(parseLine("echo a2 '2'>x", vars)).toMatchObject({ argv: ['echo', 'a2', '2'], redirect: 'x', stderr: 'terminal' });
    expect(() => parseLine('echo a && echo b', vars)).toThrow("the lab's shell runs no `&&` lists");
    expect(() => parseLine('ls; echo x', vars)).toThrow("the lab's shell runs one command or pipeline per line (no `;` lists)");
    expect(parseLine('sleep 1 &', vars)).toMatchObject({ argv: ['sleep', '1'], background: true });
    expect(() => parseLine('sleep 1 & echo x', vars)).toThrow("the lab's shell runs one command per line: nothing may follow a background `&`");
    expect(() => parseLine('wc < /proc/interrupts', vars)).toThrow("input redirection (`<`) is not supported by the lab's shell");
    expect(() => parseLine('cat /x 2>/tmp/f', vars)).toThrow("/tmp/f: the lab's shell sends standard error only to /dev/null or, with 2>&1, to standard output");
    expect(() => parseLine('cat /x 2>', vars)).toThrow("syntax error near unexpected token `newline'");
    expect(parseLine("echo 'a;b&c<d'", vars).argv).toEqual(['echo', 'a;b&c<d']);
  });

  it('reports shell errors as bash does', () => {
    expect(() => parseLine('echo "unterminated', vars)).toThrow("unexpected EOF while looking for matching `\"'");
    expect(() => parseLine('echo $NOPE', vars)).toThrow('NOPE: unbound variable');
    expect(() => parseLine('echo >', vars)).toThrow("syntax error near unexpected token `newline'");
  });
});

describe('comments and $?', () => {
  it("drops a comment from an unquoted # starting a word to the line's end, as bash reads it; a quoted, escaped or mid-word # stays", () => {
    expect(stripComment('ping -c 1 10.0.0.1  # check the link')).toBe('ping -c 1 10.0.0.1');
    expect(stripComment('# all of it')).toBe('');
    expect(stripComment("echo '# not' \"# not\" \\# a#b # gone | wc")).toBe("echo '# not' \"# not\" \\# a#b");
    const lab = bootLab({ seed: 1 });
    const env = { lab, board: lab.boards.rc, vars: defaultVars(lab, lab.boards.rc) };
    expect(runLine('echo hi # x', env, labCommands())).toEqual({ stdout: 'hi\n', stderr: '', status: 0 });
    const irq = [...lab.boards.rc.host.irqs.keys()].sort((a, b) => a - b)[2] ?? 0;
    expect(runLine(`echo 2 > /proc/irq/${irq}/smp_affinity   # qp on CPU1`, env, labCommands()).status).toBe(0);
    expect(lab.boards.rc.host.irqs.get(irq)?.affinity).toBe(2);
    expect(runLine('ethtool -l ntb0   # channels', env, labCommands()).stdout).toContain('Channel parameters for ntb0:');
  });

  it("expands $? to the last command's exit status on that board's shell (0 before any)", () => {
    const lab = bootLab({ seed: 1 });
    const env = { lab, board: lab.boards.rc, vars: defaultVars(lab, lab.boards.rc) };
    const run = (line: string): string => runLine(line, env, labCommands()).stdout;
    expect(run('echo $?')).toBe('0\n');
    run('cat /nope');
    expect(run('echo $? ${?}')).toBe('1 1\n');
    run('frobnicate');
    expect(run("echo $? '$?'")).toBe('127 $?\n');
  });
});

describe('script lines', () => {
  it('splits board prompts, skips comments and blanks, rejects other lines', () => {
    expect(parseScriptLine('rc$ sudo iperf3 -s')).toEqual({ board: 'rc', command: 'sudo iperf3 -s' });
    expect(parseScriptLine('  ep$ ethtool -l ntb0')).toEqual({ board: 'ep', command: 'ethtool -l ntb0' });
    expect(parseScriptLine('# comment')).toBeNull();
    expect(parseScriptLine('   ')).toBeNull();
    expect(parseScriptLine('iperf3 -s')).toBeInstanceOf(Error);
  });

  it('takes lines of a CRLF script: the CR ending a line is not part of it', () => {
    expect(parseScriptLine('rc$ iperf3 -s\r')).toEqual({ board: 'rc', command: 'iperf3 -s' });
    expect(parseScriptLine('# comment\r')).toBeNull();
    expect(parseScriptLine('\r')).toBeNull();
    expect(parseScriptLine('iperf3 -s\r')).toEqual(new Error("expected a line starting with 'rc$' or 'ep$', got 'iperf3 -s'"));
  });
});

describe('module parameters', () => {
  it('parses kernel bools and integers', () => {
    expect(['y', 'Y', '1', 'true'].map(parseKernelBool)).toEqual([true, true, true, true]);
    expect(['n', 'N', '0', 'false'].map(parseKernelBool)).toEqual([false, false, false, false]);
    expect(parseKernelBool('yes')).toBeNull();
    expect([parseKernelUint('0x10000'), parseKernelUint('010'), parseKernelUint('42'), parseKernelUint('-1')]).toEqual([65536, 8, 42, null]);
  });

  it('applies --param and modprobe forms, recording names a module does not have, rejecting bad values and modules without changing anything', () => {
    const base = { transport: {}, netdev: {} };
    expect(applyParam(base, 'ntb_transport.use_dma=1').transport).toEqual({ useDma: true });
    expect(applyParam(base, 'transport_mtu=0x8000', 'ntb_transport').transport).toEqual({ transportMtu: 0x8000 });
    expect(applyParam(base, 'ntb_num_queues=2', 'ntb_netdev').netdev).toEqual({ queues: 2 });
    const unknown = applyParam(applyParam(base, 'ntb_transport.use_dmx=1'), 'foo', 'ntb_netdev');
    expect(unknown).toEqual({ transport: {}, netdev: {}, unknown: [{ module: 'ntb_transport', name: 'use_dmx' }, { module: 'ntb_netdev', name: 'foo' }] });
    expect(unknown.unknown?.map(unknownParamMessage)).toEqual(["ntb_transport: unknown parameter 'use_dmx' ignored", "ntb_netdev: unknown parameter 'foo' ignored"]);
    expect(() => applyParam(base, 'ntb_netdev.=1')).toThrow("'ntb_netdev.=1': expected MODULE.PARAMETER=VALUE");
    expect(() => applyParam(base, 'ntb_transport.use_dma=maybe')).toThrow(/'maybe' invalid for parameter 'use_dma'/);
    expect(() => applyParam(base, 'ntb_transport.max_num_clients=300')).toThrow(/max_num_clients: got 300, allowed an integer in 0..255/);
    expect(() => applyParam(base, 'ntb_netdev.ntb_num_queues=65')).toThrow(/allowed 1..64/);
    expect(() => applyParam(base, 'e1000.x=1')).toThrow(/unknown module 'e1000'/);
    expect(base).toEqual({ transport: {}, netdev: {} });
  });
});

describe('brace expansion', () => {
  it('expands the unquoted comma form as bash does: prefix and suffix kept, nested, several in one word, left to right', () => {
    expect(parseLine('cat /sys/class/net/ntb0/carrier_{changes,up_count,down_count}', vars).argv).toEqual(['cat', '/sys/class/net/ntb0/carrier_changes', '/sys/class/net/ntb0/carrier_up_count', '/sys/class/net/ntb0/carrier_down_count']);
    expect(parseLine('echo x{a,b}y{1,2}', vars).argv).toEqual(['echo', 'xay1', 'xay2', 'xby1', 'xby2']);
    expect(parseLine('echo {a,{b,c}d}', vars).argv).toEqual(['echo', 'a', 'bd', 'cd']);
    expect(parseLine('echo {,a}b {,}', vars).argv).toEqual(['echo', 'b', 'ab']);
  });

  it('leaves braces without a comma, quoted or escaped braces and braces from a variable as they are', () => {
    expect(parseLine('echo {a} {} "{a,b}" \\{a,b}', vars).argv).toEqual(['echo', '{a}', '{}', '{a,b}', '{a,b}']);
    expect(parseLine('echo $B', new Map([['B', '{a,b}']])).argv).toEqual(['echo', '{a,b}']);
    expect(parseLine('echo {1..3}', vars).argv).toEqual(['echo', '{1..3}']);
  });

  it('keeps glob patterns per expanded word, and the lab reads the three carrier counters', () => {
    expect(parseLine('cat /proc/{irq/*/smp_affinity,interrupts}', vars).patterns).toEqual([null, '/proc/irq/*/smp_affinity', null]);
    const lab = bootLab({ seed: 3 });
    const r = runLine('cat /sys/class/net/ntb0/carrier_{changes,up_count,down_count}', { lab, board: lab.boards.rc, vars: defaultVars(lab, lab.boards.rc) }, labCommands());
    const dev = lab.boards.rc.netdev()?.ndev;
    expect(r).toEqual({ stdout: `${dev?.carrierCounts.changes}\n${dev?.carrierCounts.up}\n${dev?.carrierCounts.down}\n`, stderr: '', status: 0 });
  });
});

describe('sudo and the help builtin', () => {
  it('records whether a line runs under sudo', () => {
    expect(parseLine('sudo -E ping -c 1 10.0.0.1', vars).sudo).toBe(true);
    expect(parseLine('ping -c 1 10.0.0.1', vars).sudo).toBe(false);
  });

  it('help lists the lab\'s commands one per line; help NAME shows that one; an unknown name is bash\'s message', () => {
    const lab = bootLab({ seed: 3 });
    const sh = (line: string): ReturnType<typeof runLine> => labSh(lab, 'ep', line);
    const all = sh('help');
    expect(all.status).toBe(0);
    const lines = all.stdout.split('\n');
    expect(lines[0]).toBe("The lab's commands (NAME --help for a tool's own usage):");
    for (const name of ['cat', 'dmesg', 'echo', 'ethtool', 'fault', 'grep', 'head', 'ip', 'iperf3', 'killall', 'ls', 'modprobe', 'ping', 'rmmod', 'sleep', 'sockperf', 'sudo', 'sysctl', 'tail', 'tc', 'top', 'wc']) {
      expect(lines.filter((l) => l.startsWith(` ${name} `))).toHaveLength(1);
    }
    expect(sh('help ping')).toEqual({ stdout: ` ${'ping [-aAbDfHnOqUv] [-c N] [-i S] [-I DEV|ADDR] [-l N] [-M do|want|dont] [-p HEX] [-Q TOS] [-s N] [-S N] [-t TTL] [-w S] [-W S] HOST [&]'.padEnd(44)} ICMP echo (iputils); & runs it as a job, until kill -INT without -c or -w\n`, stderr: '', status: 0 });
    expect(sh('help frob')).toEqual({ stdout: '', stderr: "bash: help: no help topics match `frob'.  Try `help help' or `man -k frob' or `info frob'.\n", status: 1 });
  });
});
