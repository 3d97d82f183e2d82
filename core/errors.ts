/**
 * The four error classes streamsight uses (mediasoup's habit, plus config and protocol).
 * The HTTP layer maps each to exactly one status: ConfigError 400, ProtocolError 400,
 * UnsupportedError 422, InvalidStateError 409.
 */

/** A configuration value is wrong; `path` names it (`cameras.gate1.url`). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly path = '',
  ) {
    super(path ? `${path}: ${message}` : message);
  }
}

/** A peer sent bytes that break its protocol (malformed RTSP, SDP, RTP, WHEP body). */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** Valid input that streamsight does not support (a codec, a transport, a method). */
export class UnsupportedError extends Error {
  override readonly name = 'UnsupportedError';
}

/** An operation on an entity in the wrong state (closed, not yet online). */
export class InvalidStateError extends Error {
  override readonly name = 'InvalidStateError';
}
