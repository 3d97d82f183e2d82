/**
 * A pinhole camera looking down at a flat road, for the synthetic traffic scenes.
 *
 * World: metres, X to the right, Y up, Z along the road away from the camera; the road is Y = 0.
 * The camera sits at (0, heightM, 0) and is pitched down by pitchRad. Image: pixels, u right, v down,
 * principal point at the centre. Because the road is a plane, image ↔ ground is a homography; the
 * scenes give plugins 4 reference points computed here, so tests know the exact ground truth.
 */

export type Vec3 = [number, number, number];

/** The camera's intrinsics and pose. */
export interface PinholeCamera {
  width: number;
  height: number;
  /** Focal length in pixels. */
  focalPx: number;
  heightM: number;
  pitchRad: number;
}

/** Image position [u, v] of a world point, or undefined when it is behind the camera. */
export function project(cam: PinholeCamera, p: Vec3): [number, number] | undefined {
  const s = Math.sin(cam.pitchRad);
  const c = Math.cos(cam.pitchRad);
  const dx = p[0];
  const dy = p[1] - cam.heightM;
  const dz = p[2];
  // Camera axes: right (1,0,0), up (0, c, s), forward (0, -s, c).
  const depth = -s * dy + c * dz;
  if (depth <= 0.05) return undefined;
  const down = -(c * dy + s * dz);
  return [cam.width / 2 + (cam.focalPx * dx) / depth, cam.height / 2 + (cam.focalPx * down) / depth];
}

/** The road point (Y = 0) seen at image position [u, v], or undefined above the horizon. */
export function unprojectGround(cam: PinholeCamera, u: number, v: number): [number, number] | undefined {
  const s = Math.sin(cam.pitchRad);
  const c = Math.cos(cam.pitchRad);
  const x = (u - cam.width / 2) / cam.focalPx;
  const y = (v - cam.height / 2) / cam.focalPx; // down
  // Ray direction in world: x * right + (-y) * up + 1 * forward.
  const dirY = -y * c - s;
  const dirZ = -y * s + c;
  if (dirY >= 0) return undefined;
  const t = cam.heightM / -dirY;
  return [x * t, dirZ * t];
}
