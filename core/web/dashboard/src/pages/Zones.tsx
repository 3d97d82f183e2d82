/**
 * Zone editor (#/zones, #/zones/:camera): pick a camera with plugins and one of its plugins, draw
 * zones, directed lines and signal-lamp regions on the camera's latest frame, rename or delete
 * them, and save. Saving PUTs the plugin's geometry; the server validates it against the config
 * schema, writes the YAML file and applies it to the running plugin, or answers 400 with the
 * offending path, which is shown verbatim.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, getJson, putJson, type Camera, type CameraGeometry, type PluginGeometry, type PluginStats, type Point, type SavedGeometry } from '../api';
import { usePoll } from '../hooks';
import { clone, hasLamps, LAMP_ROLES, nameProblem, type LampRole, type Selection, type Tool } from '../zones/model';
import { ShapeList } from '../zones/ShapeList';
import { Surface } from '../zones/Surface';

const TOOLS: { id: Tool; label: string; title: string }[] = [
  { id: 'select', label: 'Select', title: 'Pick a zone or line on the image' },
  { id: 'polygon', label: 'Polygon', title: 'A zone: click points, close on the first point, Enter or double-click' },
  { id: 'line', label: 'Line', title: 'A directed line: two clicks, from → to' },
  { id: 'lamp', label: 'Lamp region', title: 'A signal lamp: a polygon saved as a zone and as config.lamps[role]' },
];

type Status = { kind: 'ok' | 'error' | 'info'; text: string } | undefined;

/** #/zones[/:camera] — the zone editor. */
export function Zones({ cameras, camera }: { cameras: Camera[]; camera?: string }) {
  const plugins = usePoll<PluginStats[]>('/api/plugins', 0);
  const withPlugins = useMemo(() => [...new Set((plugins.data ?? []).map((p) => p.camera))], [plugins.data]);
  const [loaded, setLoaded] = useState<CameraGeometry>();
  const [loadError, setLoadError] = useState<string>();
  const [plugin, setPlugin] = useState<string>();
  const [work, setWork] = useState<PluginGeometry>();
  const [tool, setTool] = useState<Tool>('select');
  const [name, setName] = useState('');
  const [role, setRole] = useState<LampRole>('red');
  const [selection, setSelection] = useState<Selection>();
  const [status, setStatus] = useState<Status>();
  const [saving, setSaving] = useState(false);
  const [snapshotVersion, setSnapshotVersion] = useState(0);

  const saved = plugin ? loaded?.plugins[plugin] : undefined;
  const dirty = !!work && !!saved && JSON.stringify(work) !== JSON.stringify(saved);

  // Default to the first camera that has plugins once they are known.
  useEffect(() => {
    if (!camera && withPlugins[0]) location.hash = `#/zones/${encodeURIComponent(withPlugins[0])}`;
  }, [camera, withPlugins[0]]);

  useEffect(() => {
    if (!camera) return;
    setLoaded(undefined);
    setLoadError(undefined);
    setStatus(undefined);
    const ctl = new AbortController();
    getJson<CameraGeometry>(`/api/cameras/${encodeURIComponent(camera)}/geometry`, ctl.signal)
      .then((g) => {
        setLoaded(g);
        const first = Object.keys(g.plugins)[0];
        setPlugin((p) => (p && p in g.plugins ? p : first));
      })
      .catch((err: Error) => !ctl.signal.aborted && setLoadError(err.message));
    return () => ctl.abort();
  }, [camera]);

  useEffect(() => {
    setWork(saved ? clone(saved) : undefined);
    setSelection(undefined);
  }, [saved]);

  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const confirmDiscard = () => !dirty || window.confirm('Discard the unsaved changes?');
  const chooseCamera = (id: string) => confirmDiscard() && (location.hash = `#/zones/${encodeURIComponent(id)}`);
  const choosePlugin = (p: string) => confirmDiscard() && setPlugin(p);

  const complete = (points: Point[]): boolean => {
    if (!work) return false;
    const kind = tool === 'line' ? 'line' : 'zone';
    const problem = nameProblem(work, kind, name.trim());
    if (problem) {
      setStatus({ kind: 'error', text: problem });
      return false;
    }
    const next = clone(work);
    const n = name.trim();
    if (kind === 'line') next.lines[n] = { from: points[0]!, to: points[1]! };
    else next.zones[n] = points;
    if (tool === 'lamp') next.config = { ...next.config, lamps: { ...(next.config?.lamps as object), [role]: n } };
    setWork(next);
    setSelection({ kind, name: n });
    setName('');
    setStatus({ kind: 'info', text: `${tool === 'lamp' ? `${role} lamp` : kind} '${n}' added — not saved yet` });
    return true;
  };

  const save = async () => {
    if (!camera || !plugin || !work || !saved) return;
    setSaving(true);
    setStatus({ kind: 'info', text: 'saving…' });
    const body: PluginGeometry = { zones: work.zones, lines: work.lines };
    // The config replaces the plugin's whole config object, so send it only when it changed.
    if (JSON.stringify(work.config) !== JSON.stringify(saved.config)) body.config = work.config;
    try {
      const res = await putJson<SavedGeometry>(`/api/cameras/${encodeURIComponent(camera)}/geometry/${encodeURIComponent(plugin)}`, body);
      const stored: PluginGeometry = { zones: res.zones, lines: res.lines, config: res.config ?? work.config };
      setLoaded((g) => g && { ...g, plugins: { ...g.plugins, [plugin]: stored } });
      setStatus({ kind: 'ok', text: `saved to ${res.savedTo}${res.applied ? ', applied' : ''}` });
    } catch (err) {
      const text = err instanceof ApiError && err.status === 409 ? `cannot save: ${err.message}` : (err as Error).message;
      setStatus({ kind: 'error', text });
    } finally {
      setSaving(false);
    }
  };

  const lampsOffered = hasLamps(work);
  const pluginNames = Object.keys(loaded?.plugins ?? {});

  return (
    <section class="zones">
      <div class="toolbar">
        <h1>Zone editor</h1>
        <label>Camera{' '}
          <select value={camera ?? ''} onChange={(e) => chooseCamera((e.target as HTMLSelectElement).value)} data-testid="zone-camera">
            {!camera && <option value="">choose…</option>}
            {withPlugins.map((id) => <option key={id} value={id}>{cameras.find((c) => c.id === id)?.name ?? id}</option>)}
          </select>
        </label>
        <label>Plugin{' '}
          <select value={plugin ?? ''} onChange={(e) => choosePlugin((e.target as HTMLSelectElement).value)} data-testid="zone-plugin" disabled={!pluginNames.length}>
            {pluginNames.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </label>
        <button type="button" class="btn ghost" onClick={() => setSnapshotVersion((v) => v + 1)} data-testid="zone-refresh">↻ Snapshot</button>
        <span class="spacer" />
        {dirty && <span class="badge state-connecting" data-testid="zone-dirty">● unsaved changes</span>}
        <button type="button" class="btn ghost" disabled={!dirty || saving} onClick={() => saved && setWork(clone(saved))} data-testid="zone-revert">Revert</button>
        <button type="button" class="btn primary" disabled={!dirty || saving} onClick={() => void save()} data-testid="zone-save">Save</button>
      </div>
      {plugins.data && withPlugins.length === 0 && <p class="empty">No camera has plugins: there is nothing to draw zones for.</p>}
      {loadError && <p class="alert">Geometry of '{camera}': {loadError}</p>}
      {status && <p class={`status status-${status.kind}`} data-testid="zone-status">{status.text}</p>}
      {camera && (
        <div class="zone-layout">
          <div>
            <div class="tools">
              {TOOLS.filter((t) => t.id !== 'lamp' || lampsOffered).map((t) => (
                <button key={t.id} type="button" title={t.title} class={`btn tool${tool === t.id ? ' active' : ''}`} onClick={() => setTool(t.id)} data-testid={`zone-tool-${t.id}`}>{t.label}</button>
              ))}
              {tool === 'lamp' && (
                <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as LampRole)} data-testid="zone-lamp-role">
                  {LAMP_ROLES.map((r) => <option key={r} value={r}>{r} lamp</option>)}
                </select>
              )}
              {tool !== 'select' && (
                <input value={name} placeholder={`name of the new ${tool === 'line' ? 'line' : 'zone'}`} pattern="[A-Za-z0-9_-]+" required
                  onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="zone-name" />
              )}
            </div>
            <Surface camera={camera} geometry={work} selection={selection} tool={tool} snapshotVersion={snapshotVersion} onComplete={complete} onSelect={setSelection} />
          </div>
          {work && <ShapeList geometry={work} selection={selection} onSelect={setSelection} onChange={(g) => { setWork(g); setSelection(undefined); }} />}
        </div>
      )}
    </section>
  );
}
