/** Every fuzz target, in the order the CLI and the test run them (one per parser on the network path). */
import type { FuzzTarget } from '../harness.js';
import { configTarget } from './config.js';
import { h264DepacketizerTarget, h265DepacketizerTarget } from './depacketizer.js';
import { flvTarget } from './flv.js';
import { reorderTarget, rtcpTarget, rtpTarget } from './rtp.js';
import { rtmpTarget } from './rtmp.js';
import { rtspHeadersTarget } from './rtsp-headers.js';
import { rtspTarget } from './rtsp.js';
import { sdpTarget } from './sdp.js';
import { h264SpsTarget, h265SpsTarget } from './sps.js';
import { whepTarget } from './whep.js';

/** Target name → factory (a fresh target, with fresh long-lived state, per call). */
export const TARGETS: Readonly<Record<string, () => FuzzTarget<never>>> = {
  'rtsp': rtspTarget,
  'rtsp-headers': rtspHeadersTarget,
  'sdp': sdpTarget,
  'whep-offer': whepTarget,
  'rtp': rtpTarget,
  'rtcp': rtcpTarget,
  'rtp-reorder': reorderTarget,
  'h264-depacketizer': h264DepacketizerTarget,
  'h265-depacketizer': h265DepacketizerTarget,
  'h264-sps': h264SpsTarget,
  'h265-sps': h265SpsTarget,
  'flv': flvTarget,
  'rtmp': rtmpTarget,
  'config': configTarget,
} as unknown as Record<string, () => FuzzTarget<never>>;
