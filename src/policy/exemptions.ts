// Exemptions: CVE exemptions remove findings; every other type exempts a workload or an image
// from one rule. A time-bound exemption holds through the end of its day in the rule's zone.
import type { Finding } from '../findings/model.js';
import { anySatisfies } from './criteria.js';
import { imageNames, repositoryNames } from './image-names.js';
import type { Exemption, ExemptionType } from './rule.js';
import type { TargetImage, WorkloadIdentity } from './target.js';
import { endOfDay } from './time-zone.js';

export interface CompiledExemption {
  readonly exemption: Exemption;
  /** What it matches, as text: exemptions with equal keys remove the same findings. */
  readonly key: string;
  /** The memo key of "does it remove anything from this image" (made once: asked per image). */
  readonly touchKey: string;
  /** The value upper-cased once, for CVE ids. */
  readonly upperValue: string;
  /** Last millisecond it holds (epoch ms); undefined: indefinite. */
  readonly expiresAt?: number;
}

export function compileExemption(exemption: Exemption, timeZone: string): CompiledExemption {
  const key = `${exemption.type}:${exemption.criterion}:${exemption.value}`;
  const touchKey = `t:${key}`;
  const upperValue = exemption.value.toUpperCase();
  return exemption.expires === undefined ? { exemption, key, touchKey, upperValue } : { exemption, key, touchKey, upperValue, expiresAt: endOfDay(exemption.expires, timeZone) };
}

export function isActive(exemption: CompiledExemption, now: number): boolean {
  return exemption.expiresAt === undefined || now <= exemption.expiresAt;
}

type WorkloadExemptionType = Extract<ExemptionType, 'Deployment' | 'Namespace' | 'Pod'>;
type ImageExemptionType = Extract<ExemptionType, 'Image' | 'Registry' | 'Repository'>;

export const WORKLOAD_EXEMPTION_TYPES: ReadonlySet<ExemptionType> = new Set<WorkloadExemptionType>(['Deployment', 'Namespace', 'Pod']);
export const IMAGE_EXEMPTION_TYPES: ReadonlySet<ExemptionType> = new Set<ImageExemptionType>(['Image', 'Registry', 'Repository']);

const WORKLOAD_NAMES: Readonly<Record<WorkloadExemptionType, (w: WorkloadIdentity) => string>> = {
  Deployment: (w) => w.workloadName,
  Namespace: (w) => w.namespace,
  Pod: (w) => w.podName,
};

const IMAGE_NAMES: Readonly<Record<ImageExemptionType, (image: TargetImage) => readonly string[]>> = {
  Image: imageNames,
  Registry: (image) => (image.parsed ? [image.parsed.registry] : []),
  Repository: repositoryNames,
};

export function exemptsWorkload({ exemption }: CompiledExemption, workload: WorkloadIdentity): boolean {
  const name = WORKLOAD_NAMES[exemption.type as WorkloadExemptionType];
  return anySatisfies(exemption.criterion, [name(workload)], exemption.value);
}

export function exemptsImage({ exemption }: CompiledExemption, image: TargetImage): boolean {
  const names = IMAGE_NAMES[exemption.type as ImageExemptionType];
  return anySatisfies(exemption.criterion, names(image), exemption.value);
}

/** CVE ids are compared without regard to case: `cve-2024-1` is `CVE-2024-1`. */
export function exemptsFinding({ exemption, upperValue: value }: CompiledExemption, finding: Finding): boolean {
  if (anySatisfies(exemption.criterion, [finding.id.toUpperCase()], value)) return true;
  return finding.aliases.some((alias) => anySatisfies(exemption.criterion, [alias.toUpperCase()], value));
}
