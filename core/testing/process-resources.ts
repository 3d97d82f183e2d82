/**
 * What this process holds right now, read the way a leak would show: memory (V8 heap, buffers
 * outside it, RSS), open file descriptors and, among them, UDP sockets (Linux /proc), and the
 * handles that keep the event loop alive. Used by the load tests and `bench soak`.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';

/** One reading of the process's resources. */
export interface ProcessResources {
  rss: number;
  heapUsed: number;
  /** Memory of C++ objects bound to JS objects, Buffers included. */
  external: number;
  arrayBuffers: number;
  /** Entries in /proc/self/fd. */
  fds: number;
  /** Descriptors that are UDP sockets (IPv4 or IPv6). */
  udpSockets: number;
  /** Descriptors that are TCP sockets (IPv4 or IPv6), listening ones included. */
  tcpSockets: number;
  /** Active handles and requests (process.getActiveResourcesInfo). */
  handles: number;
}

/** Socket inodes listed in /proc/self/net/{udp,tcp}{,6} (column 10 of each line). */
function socketInodes(proto: 'udp' | 'tcp'): Set<string> {
  const inodes = new Set<string>();
  for (const file of [`/proc/self/net/${proto}`, `/proc/self/net/${proto}6`]) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode) inodes.add(inode);
    }
  }
  return inodes;
}

/** Counts this process's descriptors, and those that are UDP and TCP sockets. */
export function countDescriptors(): { fds: number; udpSockets: number; tcpSockets: number } {
  const udp = socketInodes('udp');
  const tcp = socketInodes('tcp');
  let fds = 0;
  let udpSockets = 0;
  let tcpSockets = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    let target = '';
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed between readdir and readlink (the readdir's own descriptor, for one)
    }
    fds++;
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m && udp.has(m[1]!)) udpSockets++;
    if (m && tcp.has(m[1]!)) tcpSockets++;
  }
  return { fds, udpSockets, tcpSockets };
}

let gcFn: (() => void) | undefined | null;

/**
 * A full garbage collection when V8 lets us have one: `--expose-gc` set at run time, then `gc`
 * taken from a fresh context (node's test runner starts files without the flag). Returns false
 * when unavailable.
 */
export function collectGarbage(): boolean {
  if (gcFn === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    } catch {
      gcFn = null;
    }
  }
  if (!gcFn) return false;
  gcFn();
  return true;
}

/** Reads the process's resources, after `gcTurns` full collections (0 for none). */
export async function processResources(gcTurns = 2): Promise<ProcessResources> {
  for (let i = 0; i < gcTurns; i++) {
    // Let finalizers and pending closes run between collections.
    await new Promise((r) => setImmediate(r));
    collectGarbage();
  }
  const m = process.memoryUsage();
  return {
    rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers,
    ...countDescriptors(),
    handles: process.getActiveResourcesInfo().length,
  };
}
