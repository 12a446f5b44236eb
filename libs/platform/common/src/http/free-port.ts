import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Whether a process could listen on `port` on loopback right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The ports below the kernel's ephemeral range (`ip_local_port_range`),
 * from 10000 up; undefined when that range starts too low to leave some.
 * The kernel never gives these to outgoing connections as their local end,
 * so a port picked here stays free until the process it was picked for
 * binds it, however many connections open meanwhile. One picked with
 * `listen(0)` lies inside the ephemeral range, where any new outgoing
 * connection may take it first.
 */
function quietRange(): [low: number, high: number] | undefined {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return low > 11_000 ? [10_000, low - 1] : undefined;
  } catch {
    return undefined;
  }
}

const QUIET = quietRange();

/**
 * A TCP port that was free on loopback a moment ago (tests, the bench, local
 * tools), from below the ephemeral range where there is one (`quietRange`),
 * otherwise whatever `listen(0)` gets.
 */
export async function freePort(): Promise<number> {
  if (QUIET) {
    const [low, high] = QUIET;
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = low + Math.floor(Math.random() * (high - low + 1));
      if (await isPortFree(port)) return port;
    }
  }
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
