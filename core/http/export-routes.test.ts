import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { unzipSync } from 'fflate';
import uWS from 'uWebSockets.js';
import type { us_listen_socket } from 'uWebSockets.js';
import { EventStore } from '../events/store.js';
import type { StoredEvent } from '../events/model.js';
import { buildExportRoutes, csvText, type ExportOptions } from './export-routes.js';
import { Reply, statusForError } from './reply.js';
import type { Route } from './routes.js';
import { FAKE_JPEG, MemoryDetectionServer } from './testdata/memory-server.js';
import type { EventPage, EventQuery, EventStoreLike } from './types.js';

const T0 = Date.UTC(2026, 3, 1, 8, 0, 0);
const jpeg = (n: number) => Uint8Array.of(...FAKE_JPEG.subarray(0, -2), n, n, n, 0xff, 0xd9);

/**
 * Serves `routes` on a uWS app of its own, dispatching the way app.ts does (createHttpApp does not
 * list the export route yet): a thrown error maps to its status, a 500 is not expected here.
 */
async function serve(routes: Route[]): Promise<{ base: string; close: () => void }> {
  const app = uWS.App();
  for (const route of routes) {
    app.any(route.pattern, (res, req) => {
      const reply = new Reply(res, {});
      const fail = (err: unknown) => reply.error(statusForError(err), err instanceof Error ? err.message : String(err));
      try {
        const handler = route.methods[req.getMethod().toUpperCase()];
        if (!handler) return reply.error(405, 'not allowed');
        handler(reply, req, [])?.catch(fail);
      } catch (err) {
        fail(err);
      }
    });
  }
  const socket = await new Promise<us_listen_socket>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('cannot listen')))));
  const port = uWS.us_socket_local_port(socket as unknown as uWS.us_socket);
  return {
    base: `http://127.0.0.1:${port}`,
    close: () => {
      uWS.us_listen_socket_close(socket);
      (app as uWS.TemplatedApp & { close?: () => void }).close?.();
    },
  };
}

/** Delegates to the real store but answers at most two events a page and every other page empty with a `next`. */
class ChoppyStore implements EventStoreLike {
  #empty = false;
  constructor(private readonly inner: EventStoreLike) {}
  get(id: string) { return this.inner.get(id); }
  snapshot(id: string) { return this.inner.snapshot(id); }
  evidence(id: string, i: number) { return this.inner.evidence(id, i); }
  clip(id: string) { return this.inner.clip?.(id); }
  query(q: EventQuery): EventPage {
    this.#empty = !this.#empty;
    if (this.#empty && q.cursor !== undefined) return { events: [], next: q.cursor };
    return this.inner.query({ ...q, limit: Math.min(q.limit ?? 100, 2) });
  }
}

describe('GET /api/export/events', () => {
  const server = new MemoryDetectionServer();
  let dir = '';
  let store: EventStore;
  let events: StoredEvent[] = [];
  const images = new Map<string, Uint8Array>();
  let http: { base: string; close: () => void };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamsight-http-export-'));
    store = await EventStore.open({ path: dir });
    server.events = store;
    const snap = jpeg(1);
    const before0 = jpeg(2);
    const at0 = jpeg(3);
    events = [
      await store.append({
        camera: 'gate1', plugin: 'red-light', type: 'violation', severity: 'critical', startedAt: T0, endedAt: T0 + 1500,
        zone: 'stop line', trackId: 7, attributes: { plate: 'AB, "12"', speed: 41 }, snapshot: snap,
        evidence: [{ label: 'before', capturedAt: T0 - 500, jpeg: before0 }, { label: 'at light/red!', capturedAt: T0, jpeg: at0 }],
      }),
      await store.append({ camera: 'gate1', plugin: 'intrusion', type: 'zone.enter', severity: 'warning', startedAt: T0 + 60_000, zone: '=HYPERLINK("x")' }),
      await store.append({ camera: 'yard', plugin: 'intrusion', type: 'zone.enter', severity: 'info', startedAt: T0 + 120_000, zone: '@SUM(A1),B1' }),
      await store.append({ camera: 'yard', plugin: 'red-light', type: 'violation', severity: 'critical', startedAt: T0 + 180_000, snapshot: jpeg(4) }),
      await store.append({ camera: 'gate1', plugin: 'red-light', type: 'violation', severity: 'critical', startedAt: T0 + 240_000 }),
    ];
    images.set(`${events[0]!.id}/snapshot.jpg`, snap);
    images.set(`${events[0]!.id}/0-before.jpg`, before0);
    images.set(`${events[0]!.id}/1-at_light_red_.jpg`, at0);
    images.set(`${events[3]!.id}/snapshot.jpg`, jpeg(4));
    const clip = Uint8Array.from({ length: 3000 }, (_, i) => (i * 13) & 0xff);
    events[3] = (await store.attachClip(events[3]!.id, clip, { startedAt: T0 + 175_000, endedAt: T0 + 185_000 }))!;
    images.set(`${events[3].id}/clip.mp4`, clip);
    http = await serve(buildExportRoutes(server));
  });
  after(async () => {
    http?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (path: string) => fetch(http.base + path);
  const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;
  const newestFirst = (list: StoredEvent[]) => [...list].sort((a, b) => (a.id < b.id ? 1 : -1)).map((e) => e.id);
  type JsonExport = { events: StoredEvent[]; count: number; truncated: boolean };

  it('exports JSON by default, newest first, as an attachment', async () => {
    const res = await get('/api/export/events');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="events.json"');
    assert.equal(res.headers.get('x-streamsight-truncated'), 'false');
    const body = (await res.json()) as JsonExport;
    assert.equal(body.count, 5);
    assert.equal(body.truncated, false);
    assert.deepEqual(body.events.map((e) => e.id), newestFirst(events));
    assert.deepEqual(body.events.at(-1), events[0]);
    assert.equal(((await (await get('/api/export/events?format=json&camera=yard')).json()) as JsonExport).count, 2);
  });

  it('writes CSV with the header, ISO times, evidence counts and attributes as JSON', async () => {
    const res = await get(`/api/export/events?format=csv&id=${events[0]!.id}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    assert.equal(res.headers.get('content-disposition'), `attachment; filename="event-${events[0]!.id}.csv"`);
    assert.equal(await res.text(), [
      'id,startedAt,endedAt,camera,plugin,type,severity,zone,trackId,evidence,attributes',
      `${events[0]!.id},2026-04-01T08:00:00.000Z,2026-04-01T08:00:01.500Z,gate1,red-light,violation,critical,stop line,7,2,` +
        '"{""plate"":""AB, \\""12\\"""",""speed"":41}"',
      '',
    ].join('\r\n'));
  });

  it('neutralises formulas and quotes fields with separators or line breaks', async () => {
    const text = await (await get('/api/export/events?format=csv&type=zone.enter')).text();
    const rows = text.split('\r\n');
    assert.equal(rows.length, 4); // header, two events, the empty string after the last CRLF
    assert.equal(rows[0], 'id,startedAt,endedAt,camera,plugin,type,severity,zone,trackId,evidence,attributes');
    assert.equal(rows[1], `${events[2]!.id},2026-04-01T08:02:00.000Z,,yard,intrusion,zone.enter,info,"'@SUM(A1),B1",,0,`);
    assert.equal(rows[2], `${events[1]!.id},2026-04-01T08:01:00.000Z,,gate1,intrusion,zone.enter,warning,"'=HYPERLINK(""x"")",,0,`);
    assert.equal(csvText('+1'), "'+1");
    assert.equal(csvText('-2,3'), `"'-2,3"`);
    assert.equal(csvText('\tx'), "'\tx");
    assert.equal(csvText('a\r\nb'), '"a\r\nb"'); // store names refuse control characters: only csvText sees these
    assert.equal(csvText('plain'), 'plain');
  });

  it('honours camera, plugin, type and from/to (ISO or epoch ms, inclusive)', async () => {
    const idsOf = async (q: string) => ((await (await get(`/api/export/events?${q}`)).json()) as JsonExport).events.map((e) => e.id);
    assert.deepEqual(await idsOf('camera=gate1'), newestFirst(events.filter((e) => e.camera === 'gate1')));
    assert.deepEqual(await idsOf('plugin=intrusion'), newestFirst(events.filter((e) => e.plugin === 'intrusion')));
    assert.deepEqual(await idsOf('type=violation&camera=gate1'), newestFirst([events[0]!, events[4]!]));
    assert.deepEqual(await idsOf(`from=${T0 + 60_000}&to=2026-04-01T08:03:00Z`), newestFirst(events.slice(1, 4)));
    assert.deepEqual(await idsOf('camera=nobody'), []);
  });

  it('zips events.json and the exact JPEG bytes under <id>/', async () => {
    const res = await get('/api/export/events?format=zip');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/zip');
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="events.zip"');
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    assert.equal(Object.keys(files)[0], 'events.json');
    assert.deepEqual(Object.keys(files).sort(), ['events.json', ...images.keys()].sort());
    for (const [path, bytes] of images) assert.deepEqual(files[path], bytes, path);
    const listed = JSON.parse(new TextDecoder().decode(files['events.json'])) as JsonExport;
    assert.equal(listed.count, 5);
    assert.equal(listed.truncated, false);
    assert.deepEqual(listed.events.map((e) => e.id), newestFirst(events));
  });

  it('zips one event by id as event-<id>.zip', async () => {
    const { id } = events[0]!;
    const res = await get(`/api/export/events?format=zip&id=${id}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-disposition'), `attachment; filename="event-${id}.zip"`);
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    assert.deepEqual(Object.keys(files), ['events.json', `${id}/snapshot.jpg`, `${id}/0-before.jpg`, `${id}/1-at_light_red_.jpg`]);
    assert.deepEqual(files[`${id}/1-at_light_red_.jpg`], images.get(`${id}/1-at_light_red_.jpg`));
    assert.deepEqual((JSON.parse(new TextDecoder().decode(files['events.json'])) as JsonExport).events, [events[0]]);
  });

  it('zips an event\'s evidence clip as <id>/clip.mp4', async () => {
    const { id } = events[3]!;
    const res = await get(`/api/export/events?format=zip&id=${id}`);
    assert.equal(res.status, 200);
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    assert.deepEqual(Object.keys(files), ['events.json', `${id}/snapshot.jpg`, `${id}/clip.mp4`]);
    assert.deepEqual(files[`${id}/clip.mp4`], images.get(`${id}/clip.mp4`));
    assert.equal((JSON.parse(new TextDecoder().decode(files['events.json'])) as JsonExport).events[0]!.clip?.bytes, 3000);
  });

  it('answers 404 for an unknown id and 400 for bad parameters, naming them', async () => {
    const unknown = await get('/api/export/events?id=01ARZ3NDEKTSV4RRFFQ69G5FAV');
    assert.equal(unknown.status, 404);
    assert.match(await errorOf(unknown), /^unknown event '01ARZ3NDEKTSV4RRFFQ69G5FAV'/);
    const cases: Array<[string, RegExp]> = [
      ['format=xml', /^format: expected json, csv or zip/],
      ['format=', /^format: expected/],
      ['format=csv&format=json', /^format: given more than once/],
      ['from=2026-04-02&to=2026-04-01', /^from: later than to/],
      ['from=yesterday', /^from: expected an ISO 8601 time/],
      ['camera=Gate%201', /^camera: expected an id/],
      ['limit=5', /^limit: unknown parameter/],
      ['id=a%2Fb', /^id: expected an event id/],
      [`id=${events[0]!.id}&camera=gate1`, /^id: cannot be combined with camera/],
    ];
    for (const [q, message] of cases) {
      const res = await get(`/api/export/events?${q}`);
      assert.equal(res.status, 400, q);
      assert.match(await errorOf(res), message, q);
    }
  });

  it('answers 503 while the event store is not open', async () => {
    const bare = new MemoryDetectionServer();
    delete bare.events;
    const none = await serve(buildExportRoutes(bare));
    try {
      const res = await fetch(`${none.base}/api/export/events?format=csv`);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '1');
      assert.match(await errorOf(res), /not open/);
    } finally {
      none.close();
    }
  });

  describe('caps', () => {
    const withCap = async (options: ExportOptions, path: string, events?: EventStoreLike) => {
      const capped = new MemoryDetectionServer();
      capped.events = events ?? store;
      const app = await serve(buildExportRoutes(capped, options));
      try {
        const res = await fetch(app.base + path);
        return { res, body: new Uint8Array(await res.arrayBuffer()) };
      } finally {
        app.close();
      }
    };
    const jsonOf = (body: Uint8Array) => JSON.parse(new TextDecoder().decode(body)) as JsonExport;

    it('flags truncation when more events match than the cap, newest kept', async () => {
      const { res, body } = await withCap({ maxEvents: 3 }, '/api/export/events');
      assert.equal(res.headers.get('x-streamsight-truncated'), 'true');
      assert.deepEqual(jsonOf(body), { ...jsonOf(body), count: 3, truncated: true });
      assert.deepEqual(jsonOf(body).events.map((e) => e.id), newestFirst(events).slice(0, 3));
      const csv = await withCap({ maxEvents: 3 }, '/api/export/events?format=csv');
      assert.equal(csv.res.headers.get('x-streamsight-truncated'), 'true');
      assert.equal(new TextDecoder().decode(csv.body).split('\r\n').length, 5);
    });

    it('does not flag truncation when exactly the cap matches', async () => {
      const { res, body } = await withCap({ maxEvents: 5 }, '/api/export/events');
      assert.equal(res.headers.get('x-streamsight-truncated'), 'false');
      assert.equal(jsonOf(body).count, 5);
    });

    it('follows next through short and empty pages', async () => {
      const choppy = new ChoppyStore(store);
      const all = await withCap({}, '/api/export/events', choppy);
      assert.deepEqual(jsonOf(all.body).events.map((e) => e.id), newestFirst(events));
      assert.equal(jsonOf(all.body).truncated, false);
      const capped = await withCap({ maxEvents: 4 }, '/api/export/events', new ChoppyStore(store));
      assert.deepEqual(jsonOf(capped.body).events.map((e) => e.id), newestFirst(events).slice(0, 4));
      assert.equal(jsonOf(capped.body).truncated, true);
    });

    it('leaves out the events whose images pass the zip byte cap, and says so', async () => {
      // Newest first: events 4 (no images), 3 (snapshot and clip), 2, 1, 0 (three images): room for event 3's files only.
      const { res, body } = await withCap({ maxImageBytes: jpeg(4).length + 3000 + 1 }, '/api/export/events?format=zip');
      assert.equal(res.headers.get('x-streamsight-truncated'), 'true');
      const files = unzipSync(body);
      assert.deepEqual(Object.keys(files), ['events.json', `${events[3]!.id}/snapshot.jpg`, `${events[3]!.id}/clip.mp4`]);
      const listed = jsonOf(files['events.json']!);
      assert.equal(listed.truncated, true);
      assert.deepEqual(listed.events.map((e) => e.id), newestFirst(events.slice(1)));
    });
  });
});
