// The benchmark's images: where they are, their tags and digests, shared by the target and the load.
export const BENCH_REGISTRY = 'registry.bench.local';

export function imageTag(index: number): string {
  return `${BENCH_REGISTRY}/team/service-${index}:1.0.${index % 10}`;
}

export function imageDigest(index: number): string {
  return `sha256:${index.toString(16).padStart(64, '0')}`;
}
