/** The stream hub: one Stream per camera, fanning units out to Readers with bounded queues. */
export { Stream } from './stream.js';
export type { StreamOptions, StreamStats } from './stream.js';
export type { VideoInfo } from './video-info.js';
export { Reader, DEFAULT_READER_MAX_QUEUE } from './reader.js';
export type { ReaderSink, ReaderOptions, ReaderStats } from './reader.js';
export { GopCache, DEFAULT_GOP_MAX_UNITS, DEFAULT_GOP_MAX_BYTES, unitByteLength } from './gop-cache.js';
export { RateWindow } from './rate-window.js';
