import { spawnSync } from 'node:child_process';
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

/**
 * ffmpeg's option for one output frame per decoded frame: `-fps_mode passthrough` (ffmpeg 5.1+)
 * or `-vsync passthrough` (older builds, such as the 2018 one in `@ffmpeg-installer/linux-x64`;
 * newer ffmpeg deprecates it). Asked of the binary once per path: its version string need not
 * carry a version number.
 */
export function passthroughArgs(binary = ffmpegPath()): string[] {
  let fpsMode = fpsModeSupport.get(binary);
  if (fpsMode === undefined) {
    const help = spawnSync(binary, ['-hide_banner', '-h', 'long'], { encoding: 'utf8', timeout: 10_000 });
    fpsMode = `${help.stdout ?? ''}${help.stderr ?? ''}`.includes('-fps_mode');
    fpsModeSupport.set(binary, fpsMode);
  }
  return fpsMode ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
}
