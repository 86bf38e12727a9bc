import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';

const MESSAGE = Buffer.alloc(64);
const ECHO = `const s = require('node:net').connect(Number(process.env.PROBE_PORT), '127.0.0.1');
s.setNoDelay(true);
s.on('data', (d) => s.write(d));
s.on('error', () => process.exit(0));
s.on('close', () => process.exit(0));`;

/**
 * Loopback round trips per second between this process and a child that echoes 64-byte messages, for `millis`.
 * This VM at times runs syscall-heavy work 3-5 times slower for minutes while CPU-bound loops and the load
 * average look normal (seen here: 18-40 k round trips a second then, 55-60 k otherwise); the benches run this
 * before every measured phase and print it, so that such a phase can be recognised and discarded.
 */
export async function loopbackRoundTrips(millis = 1000): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const child = spawn(process.execPath, ['-e', ECHO], { stdio: 'ignore', env: { ...process.env, PROBE_PORT: String(port) } });
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the loopback probe did not finish')), millis + 10_000);
      child.once('exit', () => reject(new Error('the loopback probe echo exited early')));
      server.once('connection', (socket: Socket) => {
        socket.setNoDelay(true);
        let trips = 0;
        const end = performance.now() + millis;
        socket.on('data', () => {
          trips++;
          if (performance.now() < end) {
            socket.write(MESSAGE);
            return;
          }
          clearTimeout(timer);
          socket.destroy();
          resolve(Math.round(trips / (millis / 1000)));
        });
        socket.write(MESSAGE);
      });
    });
  } finally {
    child.kill();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
