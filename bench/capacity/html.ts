/**
 * The HTML report of `bench capacity`: one self-contained file (no network at view time), with
 * Chart.js (node_modules/chart.js, its UMD build) and the run's JSON inlined. Charts, per trial in
 * run order: the server's CPU by stage (stacked) and the harness's; each limit as a share of its
 * threshold (1 = at the limit); memory. Then the summary and the per-trial table as text.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { summaryText, trialTable, type CapacityRun } from './report.js';

/** Chart.js's UMD build, read from node_modules. */
export function chartJsSource(): string {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
}

/** JavaScript safe inside <script>: no `</script` (in Chart.js it could only be inside a string or regex, where `<\/` means the same). */
function scriptSafe(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

/** JSON safe inside <script>: every `<` escaped (it can only occur inside a JSON string, where \u003c means the same). */
function jsonSafe(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Draws the charts from `RUN` (the page's inlined run). */
const DRAW = `
const labels = RUN.trials.map((t) => t.cameras + ' cam (' + t.phase + ', ' + Math.round(t.heldS) + ' s' + (t.passed ? '' : ', failed') + ')');
const stack = (label, key, color) => ({ label, data: RUN.trials.map((t) => t.cores[key]), backgroundColor: color, stack: 'server' });
new Chart(document.getElementById('cpu'), {
  type: 'bar',
  data: { labels, datasets: [
    stack('decode', 'decode', '#4e79a7'), stack('plugins', 'plugins', '#f28e2b'),
    stack('relay', 'relay', '#59a14f'), stack('rest', 'rest', '#bab0ac'),
    { label: 'harness (not the server)', data: RUN.trials.map((t) => t.harnessCores), backgroundColor: '#e15759', stack: 'harness' },
  ] },
  options: { plugins: { title: { display: true, text: 'CPU by stage, cores (machine: ' + RUN.host.cores + ' cores)' } },
    scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: 'cores' } } } },
});
const share = (t, limit) => {
  const c = t.checks.find((x) => x.limit === limit);
  if (!c) return null;
  // decode is a floor (decoded / expected ≥ 0.95): its pressure is how far under 1 it is, scaled to the threshold.
  return limit === 'decode' ? Math.max(0, (1 - c.value) / (1 - c.threshold)) : c.value / c.threshold;
};
new Chart(document.getElementById('limits'), {
  type: 'line',
  data: { labels, datasets: [
    ['decode', '#4e79a7'], ['plugins', '#f28e2b'], ['relay', '#59a14f'], ['cpu', '#e15759'],
  ].map(([l, color]) => ({ label: l, data: RUN.trials.map((t) => share(t, l)), borderColor: color, backgroundColor: color, tension: 0 })) },
  options: { plugins: { title: { display: true, text: 'Each limit as a share of its threshold (above 1 = broken)' } },
    scales: { y: { beginAtZero: true, title: { display: true, text: 'share of threshold' } } } },
});
new Chart(document.getElementById('memory'), {
  type: 'bar',
  data: { labels, datasets: [
    { label: 'server process', data: RUN.trials.map((t) => t.memoryMiB.server), backgroundColor: '#76b7b2', stack: 'm' },
    { label: 'ffmpeg decoders', data: RUN.trials.map((t) => t.memoryMiB.decoders), backgroundColor: '#edc948', stack: 'm' },
  ] },
  options: { plugins: { title: { display: true, text: 'Peak resident memory, MiB' } }, scales: { x: { stacked: true }, y: { stacked: true } } },
});
`;

/** The report page for `run`. */
export function reportHtml(run: CapacityRun, chartJs = chartJsSource()): string {
  const title = `streamsight capacity: ${run.maxCameras} camera(s), ${run.date.slice(0, 10)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 12px; }
#summary { white-space: pre-wrap; }
.chart { position: relative; height: 360px; margin: 2em 0; }
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<pre id="summary">${escapeHtml(summaryText(run))}</pre>
<div class="chart"><canvas id="cpu"></canvas></div>
<div class="chart"><canvas id="limits"></canvas></div>
<div class="chart"><canvas id="memory"></canvas></div>
<h2>Trials</h2>
<pre id="trials">${escapeHtml(trialTable(run.trials))}</pre>
<script>${scriptSafe(chartJs)}</script>
<script id="run" type="application/json">${jsonSafe(run)}</script>
<script>
const RUN = JSON.parse(document.getElementById('run').textContent);
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.animation = false;
${DRAW}
</script>
</body></html>
`;
}
