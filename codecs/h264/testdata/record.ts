/**
 * Regenerates the recorded RTP fixtures with ffmpeg:
 *
 *   node --import tsx codecs/h264/testdata/record.ts
 *
 * writes codecs/h264/testdata/h264-640x360.{bin,sdp} and codecs/h265/testdata/h265-640x360.{bin,sdp}.
 * ffmpeg encodes 2 s of testsrc2 (25 fps, GOP 25, no B-frames) and sends RTP to a UDP socket here;
 * every packet received is stored in the recording.ts format. The run fails if a packet is missing.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeRecording } from './recording.js';

const here = fileURLToPath(new URL('.', import.meta.url));

const ENCODERS: Record<string, { out: string; args: string[] }> = {
  h264: {
    out: `${here}h264-640x360`,
    args: ['-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '400k', '-bf', '0', '-g', '25', '-pix_fmt', 'yuv420p'],
  },
  h265: {
    out: `${here}../../h265/testdata/h265-640x360`,
    args: ['-c:v', 'libx265', '-preset', 'ultrafast', '-b:v', '400k', '-x265-params', 'keyint=25:min-keyint=25:bframes=0:log-level=error', '-pix_fmt', 'yuv420p'],
  },
};

async function record(name: string): Promise<void> {
  const enc = ENCODERS[name]!;
  const rtp = createSocket('udp4');
  const rtcp = createSocket('udp4');
  const packets: Uint8Array[] = [];
  rtp.on('message', (msg) => packets.push(new Uint8Array(msg)));
  rtcp.on('message', () => {});
  await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => rtcp.bind(0, '127.0.0.1', r));
  rtp.setRecvBufferSize(8 << 20);
  const port = rtp.address().port;
  const rtcpPort = rtcp.address().port;
  const args = [
    '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', '2',
    ...enc.args, '-payload_type', '96', '-f', 'rtp', '-sdp_file', `${enc.out}.sdp`,
    `rtp://127.0.0.1:${port}?rtcpport=${rtcpPort}&pkt_size=1400`,
  ];
  const ff = spawn('ffmpeg', args, { stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    const code = await new Promise<number | null>((r) => ff.on('exit', r));
    if (code !== 0) throw new Error(`ffmpeg exited with ${code}`);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    ff.kill('SIGKILL');
    rtp.close();
    rtcp.close();
  }
  for (let i = 1; i < packets.length; i++) {
    const seq = (p: Uint8Array) => (p[2]! << 8) | p[3]!;
    if (seq(packets[i]!) !== ((seq(packets[i - 1]!) + 1) & 0xffff)) throw new Error(`${name}: packet lost or reordered at ${i}`);
  }
  const bin = encodeRecording(packets);
  writeFileSync(`${enc.out}.bin`, bin);
  console.log(`${name}: ${packets.length} packets, ${bin.length} bytes -> ${enc.out}.bin`);
}

for (const name of process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(ENCODERS)) await record(name);
