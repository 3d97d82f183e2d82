/**
 * Reports (#/reports): one day's traffic per gate (vehicles per hour by class, each class's share
 * by hour, the busiest hour) and over all gates (busiest gate, totals per gate, the class entering
 * most); below, the day's object statistics for one camera or all of them.
 */
import { useMemo, useState } from 'preact/hooks';
import type { ChartConfiguration } from 'chart.js';
import type { Camera, GateReport, ObjectsReport, TrafficReport } from '../api';
import { ChartCanvas, classColour, hourlyByClass } from '../charts';
import { hourRange, localDate } from '../format';
import { hashParams, usePoll } from '../hooks';

function GateCard({ gate }: { gate: GateReport }) {
  const hourly = useMemo(() => hourlyByClass(gate.hours), [gate]);
  const share = useMemo(() => hourlyByClass(gate.hours, true), [gate]);
  const top = Object.entries(gate.byClass).sort((a, b) => b[1] - a[1])[0];
  return (
    <article class="card report-gate" data-testid={`report-gate-${gate.gate}`}>
      <header>
        <h2>Gate {gate.gate}</h2>
        <span class="muted">{gate.total} vehicles · {gate.entering} entering</span>
      </header>
      <div class="stat-row">
        <div class="stat"><span>Busiest hour</span><b>{gate.busiestHour ? `${hourRange(gate.busiestHour.hour)} (${gate.busiestHour.total})` : '—'}</b></div>
        <div class="stat"><span>Most common class</span><b>{top ? `${top[0]} (${top[1]})` : '—'}</b></div>
        {Object.entries(gate.byClass).sort((a, b) => b[1] - a[1]).map(([cls, n]) => (
          <div class="stat small" key={cls}><span><i class="swatch" style={{ background: classColour(cls) }} />{cls}</span><b>{n}</b></div>
        ))}
      </div>
      <div class="chart-pair">
        <div>
          <h3>Vehicles per hour by class</h3>
          <ChartCanvas id={`traffic-hourly-${gate.gate}`} config={hourly} />
        </div>
        <div>
          <h3>Share of each class by hour</h3>
          <ChartCanvas id={`traffic-share-${gate.gate}`} config={share} />
        </div>
      </div>
    </article>
  );
}

function gatesChart(report: TrafficReport): ChartConfiguration<'bar'> {
  return {
    type: 'bar',
    data: {
      labels: report.gates.map((g) => g.gate),
      datasets: [
        { label: 'vehicles', data: report.gates.map((g) => g.total), backgroundColor: '#3b82f6' },
        { label: 'entering', data: report.gates.map((g) => g.entering), backgroundColor: '#10b981' },
      ],
    },
    options: { plugins: { legend: { position: 'bottom' } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  };
}

function Traffic({ date }: { date: string }) {
  const { data, error } = usePoll<TrafficReport>(`/api/reports/traffic?date=${date}`, 60000);
  const gates = useMemo(() => (data ? gatesChart(data) : undefined), [data]);
  if (error) return <p class="alert">Traffic report: {error}</p>;
  if (!data) return <p class="muted">Loading traffic…</p>;
  if (data.gates.length === 0 || data.gates.every((g) => g.total === 0)) {
    return <p class="empty big" data-testid="report-empty">No counts on this day ({date}).</p>;
  }
  return (
    <>
      <article class="card">
        <header><h2>The day over all gates</h2></header>
        <div class="stat-row">
          <div class="stat" data-testid="report-busiest-gate"><span>Busiest gate</span><b>{data.busiestGate ? `${data.busiestGate.gate} (${data.busiestGate.total})` : '—'}</b></div>
          <div class="stat"><span>Busiest hour</span><b>{data.busiestHour ? `${hourRange(data.busiestHour.hour)} (${data.busiestHour.total})` : '—'}</b></div>
          <div class="stat"><span>Class entering most</span><b>{data.classEnteringMost ? `${data.classEnteringMost.cls} (${data.classEnteringMost.count})` : '—'}</b></div>
        </div>
        {gates && <ChartCanvas id="traffic-gates" config={gates} height={220} />}
      </article>
      {data.gates.map((g) => <GateCard key={g.gate} gate={g} />)}
    </>
  );
}

function Objects({ date, cameras }: { date: string; cameras: Camera[] }) {
  const [camera, setCamera] = useState('');
  const { data, error } = usePoll<ObjectsReport>(`/api/reports/objects?date=${date}${camera ? `&camera=${encodeURIComponent(camera)}` : ''}`, 60000);
  const hourly = useMemo(() => (data ? hourlyByClass(data.hours) : undefined), [data]);
  const classes = data ? Object.entries(data.byClass).sort((a, b) => b[1] - a[1]) : [];
  return (
    <article class="card">
      <header>
        <h2>Objects seen</h2>
        <label>Camera{' '}
          <select value={camera} onChange={(e) => setCamera((e.target as HTMLSelectElement).value)} data-testid="report-objects-camera">
            <option value="">all cameras</option>
            {cameras.map((c) => <option key={c.id} value={c.id}>{c.name ?? c.id}</option>)}
          </select>
        </label>
      </header>
      {error && <p class="alert">Object statistics: {error}</p>}
      {data && data.total === 0 && <p class="empty">No objects counted on this day{camera ? ' by this camera' : ''}.</p>}
      {data && data.total > 0 && hourly && (
        <>
          <div class="stat-row">
            <div class="stat"><span>Total</span><b>{data.total}</b></div>
            {classes.map(([cls, n]) => <div class="stat small" key={cls}><span><i class="swatch" style={{ background: classColour(cls) }} />{cls}</span><b>{n}</b></div>)}
          </div>
          <h3>Objects per hour by class</h3>
          <ChartCanvas id="objects-hourly" config={hourly} />
          <h3>Per camera</h3>
          <table class="grid compact">
            <thead><tr><th>Camera</th><th>Total</th>{classes.map(([cls]) => <th key={cls}>{cls}</th>)}</tr></thead>
            <tbody>
              {data.cameras.map((c) => (
                <tr key={c.camera}><td>{cameras.find((x) => x.id === c.camera)?.name ?? c.camera}</td><td>{c.total}</td>{classes.map(([cls]) => <td key={cls}>{c.byClass[cls] ?? 0}</td>)}</tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </article>
  );
}

/** #/reports — the day's traffic and object statistics. */
export function Reports({ cameras }: { cameras: Camera[] }) {
  const [date, setDate] = useState(() => hashParams().get('date') ?? localDate());
  return (
    <section class="reports">
      <div class="toolbar">
        <h1>Reports</h1>
        <span class="spacer" />
        <label>Day{' '}
          <input type="date" value={date} max={localDate()} onChange={(e) => (e.target as HTMLInputElement).value && setDate((e.target as HTMLInputElement).value)} data-testid="report-date" />
        </label>
      </div>
      <h2 class="section-title">Traffic</h2>
      <Traffic date={date} />
      <h2 class="section-title">Object statistics</h2>
      <Objects date={date} cameras={cameras} />
    </section>
  );
}
