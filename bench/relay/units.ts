/**
 * An H.264 Annex B clip as the bench feeds send it: split into access units (one VCL NAL per
 * frame, as x264 writes without slices; access unit delimiters dropped) and packetized once
 * (RFC 6184, 1200-byte payloads), with each unit's last NAL kept for fingerprints.
 */
import { readFileSync } from 'node:fs';
import { splitAnnexB } from '../../codecs/h264/annexb.js';
import { h264NalType, isH264Vcl } from '../../codecs/h264/nal.js';
import { H264Packetizer } from '../../codecs/h264/packetizer.js';

/** One access unit, ready to send. */
export interface ClipUnit {
  /** RTP payloads in order; the last carries the marker bit. */
  payloads: Buffer[];
  /** The unit's last NAL unit (its slice). */
  lastNal: Uint8Array;
}

/** Reads and packetizes `file`; throws when it holds no access unit. */
export function loadClipUnits(file: string): ClipUnit[] {
  const packetizer = new H264Packetizer(1200);
  const units: ClipUnit[] = [];
  let pending: Uint8Array[] = [];
  for (const nal of splitAnnexB(readFileSync(file))) {
    const type = h264NalType(nal);
    if (type === 9) continue;
    pending.push(nal);
    if (!isH264Vcl(type)) continue;
    units.push({ payloads: packetizer.packetize(pending).map((p) => Buffer.from(p)), lastNal: nal });
    pending = [];
  }
  if (units.length === 0) throw new Error(`${file}: no H.264 access units`);
  return units;
}
