import { expect, it } from 'vitest';
import { createHost, createSimulation, getProfile } from '@ntbsim/kernel';
import { createNetStack, createVethPair, type TcpSocket } from '../src/index.js';

function example(): number[] {
  
  const sim = createSimulation({ seed: 1 });
  const profile = getProfile('rcar-s4');
  const rc = createHost(sim, { name: 'rc', profile });
  const ep = createHost(sim, { name: 'ep', profile });
  const sa = createNetStack(rc);
  const sb = createNetStack(ep);
  const { a, b } = createVethPair(rc, ep, { rateBps: 1e9, latencyNs: 5_000, mtu: 65510 });
  sa.ipAddrAdd(a.dev, '10.0.0.1/24');
  sb.ipAddrAdd(b.dev, '10.0.0.2/24');
  a.dev.open();
  b.dev.open();
  
  // Server (iperf3 -s): accept one connection and read until end of stream.
  const listener = sb.tcpSocket();
  listener.bind(5201);
  listener.listen();
  let conn: TcpSocket | null = null;
  let received = 0;
  ep.createUserTask('server', (ctx, task) => {
    if (conn === null) {
      const r = listener.accept();
      if (!r.ok) {
        listener.waitReadable(task); // sleep until a connection is queued
        return 'sleep';
      }
      conn = r.sock;
    }
    const r = conn.recv(ctx, 131072); // charges the copy to this task's CPU
    if (!r.ok) {
      conn.waitReadable(task);
      return 'sleep';
    }
    if (r.bytes === 0) {
      conn.close(ctx);
      return 'exit';
    }
    received += r.bytes;
    return 'run';
  });
  
  // Client (iperf3 -c 10.0.0.2 -n 20M): connect, write 128 KiB blocks, close.
  const sock = sa.tcpSocket();
  let sent = 0;
  rc.createUserTask('client', (ctx, task) => {
    if (sock.state !== 'ESTABLISHED' && sock.state !== 'CLOSE_WAIT') {
      const c = sock.connect(ctx, { addr: '10.0.0.2', port: 5201 }); // EINPROGRESS, then ok
      if (!c.ok) {
        sock.waitWritable(task);
        return 'sleep';
      }
    }
    if (sent >= 20e6) {
      sock.close(ctx);
      return 'exit';
    }
    const w = sock.send(ctx, Math.min(131072, 20e6 - sent)); // a length: timing mode; bytes: functional
    if (!w.ok) {
      sock.waitWritable(task); // EAGAIN: send buffer full
      return 'sleep';
    }
    sent += w.bytes;
    return 'run';
  });
  
  sim.run({ until: 5e9 });
  return [received, sock.tcpInfo().sndMss, sa.snmp.Tcp.RetransSegs];
  
}

it('README example runs', () => {
  expect(example()).toEqual([20000000, 65458, 0]);
});
