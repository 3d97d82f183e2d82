/**
 * RtspServer against real peers on loopback: ffmpeg publishes (ANNOUNCE/RECORD over TCP and UDP),
 * ffprobe and ffmpeg read the restream back (DESCRIBE/SETUP/PLAY over TCP and UDP).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Unit, VideoUnit } from '../../codecs/access-unit.js';
import { h264NalType } from '../../codecs/h264/nal.js';
import { RtspServer } from './server.js';
import { TestResolver, ffmpegPublish, killAll, spawnTool } from './server.testkit.js';
import { waitUntil } from '../testing/wait.js';

describe('RtspServer with ffmpeg', () => {
  const resolver = new TestResolver(new Set(['push-tcp', 'push-udp', 'live', 'hevc']));
  const server = new RtspServer({ host: '127.0.0.1', port: 0 }, resolver);
  let port = 0;
  const url = (path: string): string => `rtsp://127.0.0.1:${port}/${path}`;

  before(async () => {
    port = await server.listen();
  });
  after(async () => {
    killAll();
    await server.close();
    resolver.close();
  });

  for (const transport of ['tcp', 'udp'] as const) {
    it(`accepts an ffmpeg push over ${transport}: H.264 units with keyframes reach the Stream`, { timeout: 90_000 }, async () => {
      const path = `push-${transport}`;
      const pub = ffmpegPublish(url(path), transport);
      await waitUntil(() => resolver.streams.get(path)?.state === 'online', 10_000, 'publisher online');
      const stream = resolver.streams.get(path)!;
      const units: Unit[] = [];
      stream.addReader({ name: 'test', write: (u) => void units.push(u) }, { gop: false });
      await waitUntil(() => units.filter((u) => u.kind === 'video' && u.keyframe).length >= 2, 10_000, 'two keyframes');

      assert.equal(stream.tracks.length, 1);
      assert.equal(stream.tracks[0]!.codec, 'H264');
      const video = units.filter((u): u is VideoUnit => u.kind === 'video');
      assert.ok(video[0]!.keyframe, 'a reader starts at a keyframe');
      const key = video.find((u) => u.keyframe)!;
      const types = key.nalus.map(h264NalType);
      assert.ok(types.includes(7) && types.includes(8) && types.includes(5), `keyframe NAL types ${types.join(',')}`);
      assert.ok(video.length >= 25, `${video.length} units`);
      for (let i = 1; i < video.length; i++) assert.ok(video[i]!.pts > video[i - 1]!.pts, 'pts increase');
      assert.ok(server.stats.rtpPacketsIn > 0);
      assert.equal(server.stats.recordSessions >= 1, true);

      pub.child.kill('SIGKILL');
      await pub.exited;
      await waitUntil(() => stream.state === 'offline', 5_000, 'stream offline after the publisher left');
      await waitUntil(() => resolver.unpublished.includes(path), 2_000, 'unpublish');
      assert.equal(server.stats.recordSessions, 0);
    });
  }

  it('carries H.265 video and AAC audio from a UDP push to a TCP reader', { timeout: 90_000 }, async () => {
    spawnTool(
      'ffmpeg',
      ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
        '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-c:v', 'libx265', '-preset', 'ultrafast',
        '-tune', 'zerolatency', '-x265-params', 'log-level=error', '-g', '25', '-c:a', 'aac', '-b:a', '64k',
        '-f', 'rtsp', '-rtsp_transport', 'udp', url('hevc')],
      30_000,
    );
    await waitUntil(() => (resolver.streams.get('hevc')?.stats.keyframes ?? 0) >= 1, 10_000, 'H.265 publisher');
    const stream = resolver.streams.get('hevc')!;
    assert.deepEqual(stream.tracks.map((t) => t.codec), ['H265', 'AAC']);
    const probe = spawnTool(
      'ffprobe',
      ['-rtsp_transport', 'tcp', '-v', 'error', '-show_entries', 'stream=codec_name,width,height,sample_rate', '-of', 'json', url('hevc')],
      20_000,
    );
    assert.equal(await probe.exited, 0, probe.stderr());
    const streams = (JSON.parse(probe.stdout()) as { streams: Array<Record<string, unknown>> }).streams;
    assert.deepEqual(streams, [
      { codec_name: 'hevc', width: 640, height: 360 },
      { codec_name: 'aac', sample_rate: '48000' },
    ]);
    assert.ok(stream.stats.audioUnits > 0);
  });

  describe('restream of a pushed camera', () => {
    before(async () => {
      ffmpegPublish(url('live'), 'tcp');
      await waitUntil(() => (resolver.streams.get('live')?.stats.keyframes ?? 0) >= 1, 10_000, 'live publisher');
    });

    for (const transport of ['tcp', 'udp'] as const) {
      it(`ffprobe over ${transport} sees h264 640x360`, { timeout: 90_000 }, async () => {
        const probe = spawnTool(
          'ffprobe',
          ['-rtsp_transport', transport, '-v', 'error', '-show_streams', '-of', 'json', url('live')],
          20_000,
        );
        const code = await probe.exited;
        assert.equal(code, 0, probe.stderr());
        const streams = (JSON.parse(probe.stdout()) as { streams: Array<Record<string, unknown>> }).streams;
        assert.equal(streams.length, 1);
        assert.equal(streams[0]!.codec_name, 'h264');
        assert.equal(streams[0]!.width, 640);
        assert.equal(streams[0]!.height, 360);
      });
    }

    it('serves five simultaneous readers (TCP and UDP) from one publisher', { timeout: 120_000 }, async () => {
      const stream = resolver.streams.get('live')!;
      let maxReaders = 0;
      const off = stream.on('readers', (n) => (maxReaders = Math.max(maxReaders, n)));
      const readers = ['tcp', 'tcp', 'tcp', 'udp', 'udp'].map((t) =>
        spawnTool(
          'ffmpeg',
          ['-hide_banner', '-nostdin', '-loglevel', 'error', '-progress', 'pipe:1', '-rtsp_transport', t, '-i', url('live'),
            '-t', '3', '-an', '-f', 'null', '-'],
          25_000,
        ),
      );
      const codes = await Promise.all(readers.map((r) => r.exited));
      off();
      readers.forEach((r, i) => {
        assert.equal(codes[i], 0, `reader ${i}: ${r.stderr()}`);
        const frames = [...r.stdout().matchAll(/^frame=(\d+)$/gm)].map((m) => Number(m[1]));
        const last = frames.at(-1) ?? 0;
        assert.ok(last >= 40, `reader ${i} decoded ${last} frames`);
      });
      assert.equal(maxReaders, 5, 'all five attached at once');
      assert.deepEqual(resolver.published.filter((p) => p === 'live'), ['live'], 'camera published once');
      await waitUntil(() => stream.readers.size === 0, 5_000, 'readers detached after the clients left');
      assert.equal(server.stats.playSessions, 0);
    });
  });
});
