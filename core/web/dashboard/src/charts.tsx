/**
 * Chart.js, tree-shaken to the bar charts the reports draw, and a <ChartCanvas> that owns one
 * Chart instance. Every live chart is listed in `window.streamsightCharts[id]` so tests (and a
 * curious operator in the console) can read exactly what is drawn.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartConfiguration } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

declare global {
  interface Window {
    /** Every Chart the dashboard shows, by its stable id (traffic-hourly-<gate>, objects-hourly, …). */
    streamsightCharts?: Record<string, Chart>;
  }
}

const charts: Record<string, Chart> = {};
window.streamsightCharts = charts;

const dark = window.matchMedia?.('(prefers-color-scheme: dark)');
function applyTheme(): void {
  const isDark = dark?.matches ?? false;
  Chart.defaults.color = isDark ? '#aab1bf' : '#5b6477';
  Chart.defaults.borderColor = isDark ? '#2c313b' : '#e3e6eb';
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", sans-serif';
}
applyTheme();
dark?.addEventListener?.('change', () => {
  applyTheme();
  for (const c of Object.values(charts)) c.update();
});

/** Fixed colours for the classes the detectors report, so a class keeps its colour across charts. */
const CLASS_COLOURS: Record<string, string> = {
  car: '#3b82f6', truck: '#f59e0b', bus: '#10b981', motorbike: '#ef4444', motorcycle: '#ef4444',
  bicycle: '#8b5cf6', person: '#ec4899', van: '#14b8a6', vehicle: '#64748b',
};
const SPARE = ['#0ea5e9', '#84cc16', '#f97316', '#a855f7', '#22c55e', '#e11d48', '#6366f1', '#eab308'];

/** The colour of an object class: fixed for known ones, a stable pick from a palette for others. */
export function classColour(cls: string): string {
  const known = CLASS_COLOURS[cls];
  if (known) return known;
  let h = 0;
  for (const ch of cls) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return SPARE[h % SPARE.length]!;
}

/** One <canvas data-chart=id> holding the Chart for `config`; updated in place when config changes. */
export function ChartCanvas({ id, config, height = 260 }: { id: string; config: ChartConfiguration<'bar'>; height?: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar'>>();
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    if (!chart.current) {
      chart.current = new Chart(el, { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options } });
      charts[id] = chart.current as unknown as Chart;
    } else {
      chart.current.data = config.data;
      if (config.options) chart.current.options = { responsive: true, maintainAspectRatio: false, animation: false, ...config.options };
      chart.current.update();
    }
  }, [config]);
  useEffect(() => () => {
    chart.current?.destroy();
    chart.current = undefined;
    if (charts[id]) delete charts[id];
  }, [id]);
  return (
    <div class="chart-box" style={{ height: `${height}px` }}>
      <canvas ref={canvas} data-chart={id} />
    </div>
  );
}

/** Stacked bars of `hours` (24 rows) per class: counts, or each class's share when `share`. */
export function hourlyByClass(hours: { hour: number; byClass: Record<string, number>; share?: Record<string, number> }[], share = false): ChartConfiguration<'bar'> {
  const classes = [...new Set(hours.flatMap((h) => Object.keys(h.byClass)))].sort();
  return {
    type: 'bar',
    data: {
      labels: hours.map((h) => String(h.hour).padStart(2, '0')),
      datasets: classes.map((cls) => ({
        label: cls,
        backgroundColor: classColour(cls),
        // Shares are drawn as percentages so the axis reads 0–100 %.
        data: hours.map((h) => (share ? Math.round((h.share?.[cls] ?? 0) * 1000) / 10 : h.byClass[cls] ?? 0)),
        stack: 'classes',
      })),
    },
    options: {
      plugins: { legend: { position: 'bottom' }, tooltip: { mode: 'index', intersect: false } },
      scales: {
        x: { stacked: true, title: { display: true, text: 'hour' } },
        y: share
          ? { stacked: true, min: 0, max: 100, ticks: { callback: (v) => `${v} %` } }
          : { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
      },
    },
  };
}
