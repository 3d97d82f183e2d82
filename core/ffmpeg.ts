import { execFile, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';

/** Debian's ffmpeg, preferred: it is the build the distribution patches and updates. */
export const SYSTEM_FFMPEG = '/usr/bin/ffmpeg';

/** Where ffmpegPath() looks; every field defaults to the real machine, tests inject their own. */
export interface FfmpegLookup {
  /** Environment to read FFMPEG_PATH from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The system binary tried first; default SYSTEM_FFMPEG. */
  systemPath?: string;
  /** The bundled binary's path, or undefined when the package is not installed; default bundledFfmpeg. */
  bundled?: () => string | undefined;
}

/**
 * Finds the ffmpeg binary: $FFMPEG_PATH, else Debian's /usr/bin/ffmpeg, else the static build in the
 * optional package `@ffmpeg-installer/linux-x64` (linux x64 only), else plain `ffmpeg` on PATH.
 * Candidates that exist but are not executable are skipped.
 */
export function ffmpegPath(lookup: FfmpegLookup = {}): string {
  const { env = process.env, systemPath = SYSTEM_FFMPEG, bundled = bundledFfmpeg } = lookup;
  if (env.FFMPEG_PATH) return env.FFMPEG_PATH;
  if (isExecutable(systemPath)) return systemPath;
  const fromPackage = bundled();
  if (fromPackage !== undefined && isExecutable(fromPackage)) return fromPackage;
  return 'ffmpeg';
}

/** The binary shipped in `@ffmpeg-installer/linux-x64`, or undefined when that package is not installed. */
export function bundledFfmpeg(): string | undefined {
  try {
    // The package has no `main`: resolve its package.json and take the binary beside it.
    const pkg = createRequire(import.meta.url).resolve('@ffmpeg-installer/linux-x64/package.json');
    return pkg.replace(/package\.json$/, 'ffmpeg');
  } catch {
    return undefined; // optional dependency, absent on other platforms
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const fpsModeSupport = new Map<string, boolean>();
const HELP_ARGS = ['-hide_banner', '-h', 'long'];
const hasFpsMode = (help: { stdout?: string; stderr?: string }) => `${help.stdout ?? ''}${help.stderr ?? ''}`.includes('-fps_mode');

/**
 * Asks the binary, without blocking, what passthroughArgs() needs to know; the server calls it at
 * start, before any camera, so no decoder start stalls the relay's event loop on it (~0.1 s).
 */
export async function probeFfmpeg(binary = ffmpegPath()): Promise<void> {
  if (fpsModeSupport.has(binary)) return;
  const help = await new Promise<{ stdout?: string; stderr?: string }>((resolve) => {
    execFile(binary, HELP_ARGS, { encoding: 'utf8', timeout: 10_000, maxBuffer: 16 * 1024 * 1024 }, (_err, stdout, stderr) => resolve({ stdout, stderr }));
  });
  fpsModeSupport.set(binary, hasFpsMode(help));
}

/**
 * ffmpeg's option for one output frame per decoded frame: `-fps_mode passthrough` (ffmpeg 5.1+)
 * or `-vsync passthrough` (older builds, such as the 2018 one in `@ffmpeg-installer/linux-x64`;
 * newer ffmpeg deprecates it). Asked of the binary once per path (its version string need not
 * carry a version number): by probeFfmpeg() at start, else here, synchronously.
 */
export function passthroughArgs(binary = ffmpegPath()): string[] {
  let fpsMode = fpsModeSupport.get(binary);
  if (fpsMode === undefined) {
    fpsMode = hasFpsMode(spawnSync(binary, HELP_ARGS, { encoding: 'utf8', timeout: 10_000, maxBuffer: 16 * 1024 * 1024 }));
    fpsModeSupport.set(binary, fpsMode);
  }
  return fpsMode ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
}
