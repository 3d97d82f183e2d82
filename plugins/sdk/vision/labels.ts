/**
 * Object kinds and how detector labels map to them, shared by the vehicle tracker (vehicles.ts),
 * which keeps only vehicles of a labelling detector's boxes, and the object tracker (objects.ts).
 */

/** The vehicle kinds, as the vehicle prototypes name them. */
export const VEHICLE_KINDS = ['motorbike', 'car', 'truck', 'bus'] as const;

/** Every kind an ObjectTracker tells apart with a ground plane. */
export const OBJECT_KINDS = ['person', ...VEHICLE_KINDS] as const;

/** 'person', a vehicle class, 'vehicle' (a vehicle of unknown class: no reference points), or a detector's own label. */
export type ObjectKind = (typeof OBJECT_KINDS)[number] | 'vehicle' | (string & {});

/** Usual detector labels (COCO, VOC and others) → kind; other labels are kept as they are. */
const LABELS: Record<string, string> = {
  person: 'person', pedestrian: 'person', people: 'person',
  motorbike: 'motorbike', motorcycle: 'motorbike', scooter: 'motorbike',
  car: 'car', van: 'car', suv: 'car',
  truck: 'truck', lorry: 'truck',
  bus: 'bus', coach: 'bus',
};

/** The kind a detector's label stands for (lower-cased; unknown labels are kept as they are). */
export function kindOfLabel(label: string): ObjectKind {
  const l = label.toLowerCase();
  return LABELS[l] ?? l;
}

/** Whether a kind is a vehicle (one of VEHICLE_KINDS, or 'vehicle'). */
export function isVehicleKind(kind: string): boolean {
  return kind === 'vehicle' || (VEHICLE_KINDS as readonly string[]).includes(kind);
}
