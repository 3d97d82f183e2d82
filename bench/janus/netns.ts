/**
 * A private network namespace for the Janus bench: one veth pair with both ends inside.
 *
 * Why not loopback: Janus 1.1.2 gathers ICE candidates through libnice, which skips loopback
 * interfaces, so a Janus on 127.0.0.1 offers no candidate at all and no viewer can connect.
 * `dummy` links are not available on every machine (containers), a veth pair is. Both ends live
 * in the namespace, so nothing the bench sends can leave the machine:
 *
 *   netns streamsight-janus-<pid>
 *     lo  127.0.0.1
 *     v0  10.77.0.1/24   Janus: HTTP API, ICE host candidate, RTP mountpoint
 *     v1  10.77.0.2/24   viewers' host candidates, the ffmpeg feed
 *
 * A socket bound to 10.77.0.1 that sends to 10.77.0.2 goes through the local table (lo). libnice
 * does not: its packets leave by v0, cross the veth and arrive on v1 with a source address that is
 * local, which Linux drops as martian unless `accept_local` is set (and `rp_filter` is off). Without
 * that, Janus answers every ICE check and werift never sees one: both sides time out.
 */
import { execFile, spawnSync } from 'node:child_process';

/** A network namespace created by `createNetns`; `close()` deletes it (and its veth pair). */
export interface Netns {
  /** The namespace's name, for `ip netns exec`. */
  readonly name: string;
  /** Address of v0, where the server under test listens. */
  readonly serverAddress: string;
  /** Address of v1, for viewers and the feed. */
  readonly clientAddress: string;
  /** `[cmd, args]` that run `cmd args` inside the namespace (`ip netns exec` execs, so the pid is `cmd`'s). */
  command(cmd: string, args: readonly string[]): [string, string[]];
  /** Deletes the namespace; idempotent. */
  close(): void;
  readonly closed: boolean;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`ip ${args.join(' ')}: ${r.error.message} (is iproute2 installed?)`);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim()} (creating a namespace needs root or CAP_NET_ADMIN)`);
}

/**
 * Creates the namespace with its veth pair up and addressed. Deleted when `close()` is called or,
 * failing that, when this process exits (also after SIGINT/SIGTERM, which bench/lib.ts turns into exit).
 */
export function createNetns(name = `streamsight-janus-${process.pid}`, subnet = '10.77.0'): Netns {
  const serverAddress = `${subnet}.1`;
  const clientAddress = `${subnet}.2`;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    process.off('exit', close);
    spawnSync('ip', ['netns', 'del', name]);
  };
  ip(['netns', 'add', name]);
  process.on('exit', close);
  try {
    ip(['link', 'add', 'v0', 'netns', name, 'type', 'veth', 'peer', 'name', 'v1', 'netns', name]);
    ip(['-n', name, 'addr', 'add', `${serverAddress}/24`, 'dev', 'v0']);
    ip(['-n', name, 'addr', 'add', `${clientAddress}/24`, 'dev', 'v1']);
    for (const dev of ['lo', 'v0', 'v1']) ip(['-n', name, 'link', 'set', dev, 'up']);
    const sysctls = ['all', 'v0', 'v1'].flatMap((dev) => [`net.ipv4.conf.${dev}.accept_local=1`, `net.ipv4.conf.${dev}.rp_filter=0`]);
    const r = spawnSync('ip', ['netns', 'exec', name, 'sysctl', '-qw', ...sysctls], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`sysctl in ${name} failed: ${r.stderr || r.error?.message} (is procps installed?)`);
  } catch (e) {
    close();
    throw e;
  }
  return {
    name,
    serverAddress,
    clientAddress,
    command: (cmd, args) => ['ip', ['netns', 'exec', name, cmd, ...args]],
    close,
    get closed() { return closed; },
  };
}

/** GETs `url` from inside the namespace (with curl) and resolves its body, or rejects. */
export function fetchInNetns(netns: Netns, url: string, timeoutMs = 2000): Promise<string> {
  const [cmd, args] = netns.command('curl', ['-sSf', '--max-time', String(timeoutMs / 1000), url]);
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)));
  });
}
