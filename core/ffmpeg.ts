import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Finds the ffmpeg binary: $FFMPEG_PATH, Debian's /usr/bin/ffmpeg, then the binary shipped in
 * `@ffmpeg-installer/linux-x64` when that optional package is installed, else plain `ffmpeg` on PATH.
 */
export function ffmpegPath(): string {
  if (process.env.FFMPEG_PATH) return process.env.FFMPEG_PATH;
  if (existsSync('/usr/bin/ffmpeg')) return '/usr/bin/ffmpeg';
  try {
    const require = createRequire(import.meta.url);
    const bundled = require.resolve('@ffmpeg-installer/linux-x64/ffmpeg');
    if (existsSync(bundled)) return bundled;
  } catch {
    // optional package not installed
  }
  return 'ffmpeg';
}
