/**
 * Debian's Janus (1.1.2) as the reference relay of the side-by-side bench: configured here, from
 * scratch, with only what the bench needs — the HTTP transport on the namespace address and the
 * streaming plugin with one RTP H.264 mountpoint. Every other plugin, transport, event handler and
 * logger is left out by pointing Janus at folders that hold only symlinks to the two modules it
 * needs (Janus loads every .so it finds in its plugins/transports folders).
 *
 * ICE: no STUN/TURN, no NAT mapping; `ice_enforce_list` keeps gathering to the namespace address,
 * which is why Janus runs in the namespace at all (see netns.ts).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { child, waitFor } from '../lib.js';
import { fetchInNetns, type Netns } from './netns.js';

/** Where Debian (and a source build) put Janus's modules. */
const MODULE_DIRS = ['/usr/lib/x86_64-linux-gnu/janus', '/usr/lib/aarch64-linux-gnu/janus', '/usr/lib/janus', '/opt/janus/lib/janus'];

/** Options of `startJanus`. */
export interface JanusOptions {
  netns: Netns;
  /** Address Janus binds its HTTP API and RTP port to and gathers its host candidate on. */
  address: string;
  /** UDP port of the mountpoint's video RTP. */
  rtpPort: number;
  /** HTTP API port; default 8088. */
  httpPort?: number;
  /** Mountpoint id viewers `watch`; default 1. */
  mountpointId?: number;
  /** RTP payload type the feed sends; default 96. */
  payloadType?: number;
  /** fmtp of the offered H.264; must match the clip (`profile-level-id` from its SPS). */
  fmtp?: string;
  /** Janus log level 0..7; default 3 (warnings and errors). */
  debugLevel?: number;
  /** Turns on libnice's own debug log (ICE checks), for diagnosing a viewer that never connects. */
  niceDebug?: boolean;
  /** CPUs Janus (all its threads) may run on, as `taskset -c` takes them, e.g. '0'; default any. */
  cpus?: string;
}

/** A running Janus. */
export interface JanusHandle {
  /** Janus's own pid (`ip netns exec` execs), for /proc/<pid>/stat sampling. */
  readonly pid: number;
  /** Base URL of the Janus HTTP API, reachable inside the namespace only. */
  readonly url: string;
  readonly mountpointId: number;
  /** The last lines Janus logged, for error messages. */
  logTail(): string;
  /** Kills Janus and deletes its config dir; idempotent. */
  stop(): Promise<void>;
}

/** Path of the janus binary; installs Debian's package when it is missing and we are root. */
export function ensureJanus(): string {
  const which = spawnSync('sh', ['-c', 'command -v janus'], { encoding: 'utf8' });
  if (which.status === 0) return which.stdout.trim();
  if (process.getuid?.() !== 0) throw new Error('janus is not installed: run `sudo apt-get install -y janus` (Debian 12 ships 1.1.2)');
  process.stderr.write('janus is missing: installing Debian\'s package (apt-get install -y janus) ...\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'janus']]) {
    const r = spawnSync('apt-get', args, { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed: ${(r.stderr || r.stdout).slice(-2000)}`);
  }
  return ensureJanus();
}

function moduleDir(): string {
  const dir = MODULE_DIRS.find((d) => existsSync(join(d, 'plugins', 'libjanus_streaming.so')));
  if (!dir) throw new Error(`Janus's streaming plugin was not found in ${MODULE_DIRS.join(', ')}`);
  return dir;
}

/** Writes the config folder: janus.jcfg, the HTTP transport's and the streaming plugin's. */
function writeConfig(dir: string, o: Required<Omit<JanusOptions, 'netns' | 'cpus'>>): void {
  const modules = moduleDir();
  for (const [folder, lib] of [['plugins', 'libjanus_streaming.so'], ['transports', 'libjanus_http.so'], ['events', ''], ['loggers', '']] as const) {
    mkdirSync(join(dir, folder));
    if (lib) symlinkSync(join(modules, folder, lib), join(dir, folder, lib));
  }
  writeFileSync(join(dir, 'janus.jcfg'), `general: {
  configs_folder = "${dir}"
  plugins_folder = "${dir}/plugins"
  transports_folder = "${dir}/transports"
  events_folder = "${dir}/events"
  loggers_folder = "${dir}/loggers"
  debug_level = ${o.debugLevel}
  server_name = "streamsight-bench"
  session_timeout = 60
}
certificates: {
}
media: {
  rtp_port_range = "20000-40000"
}
nat: {
  # Host candidates on the namespace address only; no STUN, no TURN, no 1:1 NAT.
  ice_enforce_list = "${o.address}"
  ignore_mdns = true
  nice_debug = ${o.niceDebug}
}
plugins: {
}
transports: {
}
events: {
  broadcast = false
}
loggers: {
}
`);
  writeFileSync(join(dir, 'janus.transport.http.jcfg'), `general: {
  json = "plain"
  base_path = "/janus"
  http = true
  port = ${o.httpPort}
  ip = "${o.address}"
  https = false
}
admin: {
  admin_http = false
  admin_https = false
}
`);
  writeFileSync(join(dir, 'janus.plugin.streaming.jcfg'), `general: {
  events = false
}
bench: {
  type = "rtp"
  id = ${o.mountpointId}
  description = "streamsight bench"
  audio = false
  video = true
  videoport = ${o.rtpPort}
  videoiface = "${o.address}"
  videopt = ${o.payloadType}
  videocodec = "h264"
  videofmtp = "${o.fmtp}"
}
`);
}

/** Starts Janus inside `opts.netns` and resolves once its HTTP API and the mountpoint answer. */
export async function startJanus(opts: JanusOptions): Promise<JanusHandle> {
  const janus = ensureJanus();
  const o = {
    address: opts.address,
    rtpPort: opts.rtpPort,
    httpPort: opts.httpPort ?? 8088,
    mountpointId: opts.mountpointId ?? 1,
    payloadType: opts.payloadType ?? 96,
    fmtp: opts.fmtp ?? 'profile-level-id=4d401f;packetization-mode=1',
    debugLevel: opts.debugLevel ?? 3,
    niceDebug: opts.niceDebug ?? false,
  };
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-janus-'));
  // Also on exit without stop() (Ctrl-C: bench/lib.ts turns it into exit and kills the children).
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  writeConfig(dir, o);
  const log: string[] = [];
  // stdbuf: Janus logs with stdio, block-buffered into a pipe, so an error would reach us only at
  // exit. stdbuf execs janus, as `ip netns exec` does, so the child's pid stays Janus's.
  const janusArgs = ['stdbuf', '-oL', janus, '--configs-folder', dir, '--config', join(dir, 'janus.jcfg'), '--disable-colors'];
  // taskset execs too, and the affinity it sets is inherited by every thread Janus starts.
  const pinned = opts.cpus ? ['taskset', '-c', opts.cpus, ...janusArgs] : janusArgs;
  const [cmd, args] = opts.netns.command(pinned[0]!, pinned.slice(1));
  const proc: ChildProcess = child(cmd, args, (line) => {
    log.push(line);
    if (log.length > 200) log.shift();
  });
  let exited = false;
  proc.on('exit', () => (exited = true));
  const url = `http://${o.address}:${o.httpPort}/janus`;
  let stopped = false;
  const handle: JanusHandle = {
    pid: proc.pid!,
    url,
    mountpointId: o.mountpointId,
    logTail: () => log.join('\n'),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (!exited) {
        proc.kill('SIGTERM');
        await new Promise<void>((r) => {
          const t = setTimeout(() => { proc.kill('SIGKILL'); r(); }, 3000);
          proc.once('exit', () => { clearTimeout(t); r(); });
        });
      }
      process.off('exit', removeDir);
      removeDir();
    },
  };
  // A Janus that dies on its config must fail the bench now, not after waitFor's timeout.
  const died = new Promise<never>((_, reject) => proc.once('exit', (code, signal) => reject(new Error(`janus exited (${code ?? signal})`))));
  died.catch(() => undefined);
  try {
    await Promise.race([died, waitFor('Janus HTTP API', 10_000, async () => {
      const info = JSON.parse(await fetchInNetns(opts.netns, `${url}/info`)) as { plugins?: Record<string, unknown> };
      return info.plugins?.['janus.plugin.streaming'] ? info : undefined;
    })]);
  } catch (e) {
    await handle.stop();
    throw new Error(`Janus did not come up: ${(e as Error).message}; the end of its log:\n${log.slice(-40).join('\n')}`);
  }
  return handle;
}
