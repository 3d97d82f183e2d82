/** Binary masks written as text for the morphology and components tests. */

/** A mask from rows of '.' (off) and '#' (on): 255 for on, 0 for off. */
export function parseMask(rows: string[]): { w: number; h: number; mask: Uint8Array } {
  const h = rows.length;
  const w = rows[0]!.length;
  const mask = new Uint8Array(w * h);
  rows.forEach((row, y) => [...row].forEach((ch, x) => (mask[y * w + x] = ch === '#' ? 255 : 0)));
  return { w, h, mask };
}
