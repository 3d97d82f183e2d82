/**
 * The list beside the zone editor's surface: every zone and line of the plugin, to select, rename
 * (config references follow the new name) or delete.
 */
import { useState } from 'preact/hooks';
import type { PluginGeometry } from '../api';
import { deleted, lampRoleOf, nameProblem, renamed, type Selection } from './model';

/** Props: the geometry being edited, the current selection, and where edits go. */
export interface ShapeListProps {
  geometry: PluginGeometry;
  selection: Selection | undefined;
  onSelect: (sel: Selection | undefined) => void;
  onChange: (g: PluginGeometry) => void;
}

function Row({ kind, name, detail, props }: { kind: 'zone' | 'line'; name: string; detail: string; props: ShapeListProps }) {
  const { geometry, selection, onSelect, onChange } = props;
  const [editing, setEditing] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const selected = selection?.kind === kind && selection.name === name;
  const commit = () => {
    const to = (editing ?? '').trim();
    if (to === name) return setEditing(undefined);
    const why = nameProblem(geometry, kind, to);
    if (why) return setProblem(why);
    setEditing(undefined);
    setProblem(undefined);
    onChange(renamed(geometry, { kind, name }, to));
  };
  return (
    <li class={selected ? 'selected' : ''} data-testid={`zone-item-${kind}-${name}`}>
      {editing === undefined ? (
        <button type="button" class="linkish" onClick={() => onSelect(selected ? undefined : { kind, name })}>
          <b>{name}</b> <span class="muted">{detail}</span>
        </button>
      ) : (
        <input
          value={editing}
          autoFocus
          onInput={(e) => setEditing((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit();
            if (e.key === 'Escape') setEditing(undefined);
          }}
          data-testid={`zone-rename-input-${kind}-${name}`}
        />
      )}
      <span class="row-actions">
        {editing === undefined ? (
          <button type="button" class="btn small ghost" onClick={() => setEditing(name)} data-testid={`zone-rename-${kind}-${name}`}>Rename</button>
        ) : (
          <button type="button" class="btn small" onClick={commit}>OK</button>
        )}
        <button type="button" class="btn small danger" onClick={() => onChange(deleted(geometry, { kind, name }))} data-testid={`zone-delete-${kind}-${name}`}>Delete</button>
      </span>
      {problem && <p class="field-error">{problem}</p>}
    </li>
  );
}

/** The zones and lines of one plugin. */
export function ShapeList(props: ShapeListProps) {
  const { geometry } = props;
  const zones = Object.entries(geometry.zones);
  const lines = Object.entries(geometry.lines);
  return (
    <aside class="card shape-list">
      <h2>Zones <span class="muted">{zones.length}</span></h2>
      <ul>
        {zones.map(([name, poly]) => {
          const role = lampRoleOf(geometry, name);
          return <Row key={`z-${name}`} kind="zone" name={name} detail={`${poly.length} points${role ? ` · ${role} lamp` : ''}`} props={props} />;
        })}
        {zones.length === 0 && <li class="muted">none</li>}
      </ul>
      <h2>Lines <span class="muted">{lines.length}</span></h2>
      <ul>
        {lines.map(([name, l]) => (
          <Row key={`l-${name}`} kind="line" name={name} detail={`(${l.from.map((v) => v.toFixed(2)).join(', ')}) → (${l.to.map((v) => v.toFixed(2)).join(', ')})`} props={props} />
        ))}
        {lines.length === 0 && <li class="muted">none</li>}
      </ul>
    </aside>
  );
}
