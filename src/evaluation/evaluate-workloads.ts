// Offline evaluation of manifests: the same engine the webhook uses, fed from scan reports.
import type { FindingsCatalog } from '../findings/catalog.js';
import type { CompiledRule } from '../policy/compile.js';
import { evaluate, type Evaluation } from '../policy/evaluate.js';
import { NO_COUNTS, type SeverityCounts } from '../policy/evidence.js';
import type { ClusterContext, ScanStatus, TargetImage } from '../policy/target.js';
import { imagesOf, type Workload } from '../workloads/extract.js';
import { targetImages } from './target-images.js';

export interface ImageVerdict {
  readonly image: string;
  readonly digest?: string;
  readonly scanStatus: ScanStatus;
  readonly counts: SeverityCounts;
}

export interface WorkloadVerdict {
  readonly workload: Workload;
  readonly images: readonly ImageVerdict[];
  readonly evaluation: Evaluation;
}

export function evaluateWorkload(
  workload: Workload,
  catalog: FindingsCatalog,
  rules: readonly CompiledRule[],
  cluster: ClusterContext,
  now: Date,
): WorkloadVerdict {
  const images = targetImages(imagesOf(workload), catalog);
  const evaluation = evaluate({ cluster, workload: workload.identity, images }, rules, now);
  return { workload, images: images.map(imageVerdict), evaluation };
}

function imageVerdict(image: TargetImage): ImageVerdict {
  return {
    image: image.reference,
    ...(image.digest !== undefined && { digest: image.digest }),
    scanStatus: image.status,
    counts: image.evidence?.counts ?? NO_COUNTS,
  };
}

