/**
 * How well the objects plugin counts, in process and faster than the server path: each objects
 * scenario played through the plugin (playInProcess), its counts per class against the truth
 * (objects.ts trueObjects), per scene and in all. For checking a tracker or tally change on the
 * tuning, held-out and fresh seeds before a run of `bench accuracy`.
 *
 *   node --import tsx bench/objects-count.ts              # tuning scenes (seeds 31–33 and the quiet ones)
 *   node --import tsx bench/objects-count.ts --held-out   # the held-out scenes (81, 82)
 *   node --import tsx bench/objects-count.ts 91,92,93     # fresh seeds, every second with the zone
 */
import { CLASSES, heldOutScenarios, scenarios } from './scenes/objects.js';
import { playInProcess } from './scenes/play.js';
import { HELD_OUT_PREFIX } from './scenes/counting.js';
import type { Scenario } from './scenes/scenario.js';

/** Counted and true objects per class over `list`, printing a line per scene to `log`. */
export async function countObjects(list: readonly Scenario[], log: (s: string) => void = () => {}): Promise<Map<string, { counted: number; truth: number }>> {
  const all = new Map<string, { counted: number; truth: number }>(CLASSES.map((cls) => [cls, { counted: 0, truth: 0 }]));
  for (const s of list) {
    const { observed } = await playInProcess(s);
    const line = CLASSES.map((cls) => {
      const counted = observed.filter((o) => o.cls === cls).length;
      const truth = s.objects?.find((o) => o.cls === cls)?.n ?? 0;
      const t = all.get(cls)!;
      t.counted += counted;
      t.truth += truth;
      return `${cls} ${counted}/${truth}`;
    });
    log(`${s.name.padEnd(30)} ${line.join('  ')}`);
  }
  return all;
}

async function main(argv: string[]): Promise<void> {
  const which = argv.find((a) => !a.startsWith('--'));
  const list = which
    ? heldOutScenarios(which.split(',').map((x) => {
      const seed = Number(x);
      if (!Number.isInteger(seed)) throw new Error(`seeds are whole numbers separated by commas, got '${which}'`);
      return seed;
    }))
    : scenarios().filter((s) => s.name.startsWith(HELD_OUT_PREFIX) === argv.includes('--held-out'));
  const all = await countObjects(list, console.log);
  console.log(`all (counted / true)           ${[...all].map(([cls, t]) => `${cls} ${t.counted}/${t.truth}`).join('  ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(() => process.exit(0), (err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  });
}
