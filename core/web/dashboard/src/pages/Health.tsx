/**
 * Health (#/health): cameras, plugin instances and the neural detector, polled every 2 s, with
 * whatever needs attention standing out — an offline camera, a plugin not running, a p99 over its
 * budget or misses still growing — and a one-line summary on top.
 */
import { useRef } from 'preact/hooks';
import type { Camera, PluginStats } from '../api';
import { attrText, bitrate, num } from '../format';
import { usePoll } from '../hooks';
import { StateBadge } from './Wall';

/** Misses that grew within this window count as "growing" (one poll alone would flicker). */
const GROWING_MS = 10000;

interface PluginHealth {
  stats: PluginStats;
  overBudget: boolean;
  missesGrowing: boolean;
  down: boolean;
}

/** Tracks each plugin's misses between polls to tell a past burst from an ongoing overload. */
function usePluginHealth(list: PluginStats[] | undefined): PluginHealth[] {
  const seen = useRef(new Map<string, { misses: number; grewAt: number }>());
  if (!list) return [];
  const now = Date.now();
  return list.map((stats) => {
    const key = `${stats.camera}/${stats.plugin}`;
    const prev = seen.current.get(key);
    const grewAt = prev && stats.misses > prev.misses ? now : prev?.grewAt ?? 0;
    seen.current.set(key, { misses: stats.misses, grewAt });
    return {
      stats,
      overBudget: stats.p99 > stats.budgetMs,
      missesGrowing: now - grewAt < GROWING_MS,
      down: stats.state !== 'running',
    };
  });
}

function DetectorPanel() {
  const { data, error } = usePoll<Record<string, unknown>>('/api/detector', 2000);
  if (error || !data) return null;
  return (
    <article class="card" data-testid="health-detector">
      <header><h2>Neural detector</h2></header>
      <table class="grid compact">
        <tbody>{Object.entries(data).map(([k, v]) => <tr key={k}><th>{k}</th><td>{attrText(v)}</td></tr>)}</tbody>
      </table>
    </article>
  );
}

/** #/health — cameras, plugins and detector at a glance. */
export function Health({ cameras, camerasError }: { cameras: Camera[]; camerasError?: string }) {
  const plugins = usePoll<PluginStats[]>('/api/plugins', 2000);
  const health = usePluginHealth(plugins.data);
  const online = cameras.filter((c) => c.state === 'online').length;
  const over = health.filter((h) => h.overBudget || h.missesGrowing).length;
  const down = health.filter((h) => h.down).length;
  const parts = [`${online} of ${cameras.length} cameras online`, `${over} plugin${over === 1 ? '' : 's'} over budget`];
  if (down) parts.push(`${down} plugin${down === 1 ? '' : 's'} not running`);
  const bad = online < cameras.length || over > 0 || down > 0;
  return (
    <section>
      <div class="toolbar"><h1>Health</h1></div>
      <p class={`summary ${bad ? 'bad' : 'good'}`} data-testid="health-summary">{parts.join(', ')}</p>
      {camerasError && <p class="alert">Cameras: {camerasError}</p>}
      {plugins.error && <p class="alert">Plugins: {plugins.error}</p>}
      <article class="card">
        <header><h2>Cameras</h2></header>
        <table class="grid">
          <thead><tr><th>Camera</th><th>State</th><th>fps</th><th>Bitrate</th><th>Viewers</th><th>Reconnects</th><th>Packets lost</th><th>Frames dropped</th><th>Last error</th></tr></thead>
          <tbody>
            {cameras.map((c) => (
              <tr key={c.id} class={c.state === 'offline' ? 'row-bad' : c.state === 'connecting' ? 'row-warn' : ''} data-testid={`health-camera-${c.id}`}>
                <td><a href={`#/camera/${encodeURIComponent(c.id)}`}>{c.name ?? c.id}</a></td>
                <td><StateBadge camera={c} /></td>
                <td>{num(c.fps)}</td>
                <td>{bitrate(c.bitrateBps)}</td>
                <td>{c.viewers}</td>
                <td>{c.reconnects}</td>
                <td>{c.packetsLost}</td>
                <td>{c.framesDropped}</td>
                <td class="wrap">{c.lastError ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </article>
      <article class="card">
        <header><h2>Plugins</h2><span class="muted">p50 / p99 latency in ms against each plugin's budget</span></header>
        <table class="grid">
          <thead><tr><th>Camera</th><th>Plugin</th><th>State</th><th>fps</th><th>p50</th><th>p99 / budget</th><th>Misses</th><th>Skipped</th><th>Restarts</th></tr></thead>
          <tbody>
            {health.map(({ stats: p, overBudget, missesGrowing, down: isDown }) => (
              <tr key={`${p.camera}/${p.plugin}`} class={isDown || overBudget || missesGrowing ? 'row-bad' : ''} data-testid={`health-plugin-${p.camera}-${p.plugin}`}>
                <td>{p.camera}</td>
                <td>{p.plugin}</td>
                <td>
                  <span class={`badge ${isDown ? 'state-offline' : 'state-online'}`}>{p.state}</span>
                  {overBudget && <span class="badge state-offline" data-testid="over-budget">over budget</span>}
                  {missesGrowing && <span class="badge state-connecting">misses growing</span>}
                </td>
                <td>{num(p.fps)}{p.targetFps !== undefined && <span class="muted"> / {p.targetFps}</span>}</td>
                <td>{num(p.p50)}</td>
                <td class={overBudget ? 'over' : ''}>{num(p.p99)} <span class="muted">/ {p.budgetMs}</span></td>
                <td>{p.misses}</td>
                <td>{p.skipped}</td>
                <td>{p.restarts}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {plugins.data?.length === 0 && <p class="empty">No plugins configured.</p>}
      </article>
      <DetectorPanel />
    </section>
  );
}
