/**
 * The simplest learned classifier, for the opening notebook's "traditional machine learning"
 * example: standardise each feature (training mean and standard deviation), average the training
 * rows of each class (its centroid), predict the class of the nearest centroid (Euclidean).
 * sklearn's `NearestCentroid` after a `StandardScaler`.
 */
export interface NearestCentroidModel {
  mean: number[];
  std: number[];
  classes: string[];
  centroids: number[][];
}

export function fitNearestCentroid(x: readonly (readonly number[])[], y: readonly string[]): NearestCentroidModel {
  if (!x.length || x.length !== y.length) throw new Error(`fitNearestCentroid: ${x.length} rows for ${y.length} labels`);
  const d = x[0].length;
  const mean = Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + r[j], 0) / x.length);
  const std = mean.map((m, j) => Math.sqrt(x.reduce((s, r) => s + (r[j] - m) ** 2, 0) / x.length) || 1);
  const classes = [...new Set(y)].sort();
  const centroids = classes.map((c) => {
    const rows = x.filter((_, i) => y[i] === c).map((r) => r.map((v, j) => (v - mean[j]) / std[j]));
    return Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  });
  return { mean, std, classes, centroids };
}

export function predictNearestCentroid(m: NearestCentroidModel, x: readonly (readonly number[])[]): string[] {
  return x.map((r) => {
    const z = r.map((v, j) => (v - m.mean[j]) / m.std[j]);
    let best = 0, bestD = Infinity;
    m.centroids.forEach((c, k) => {
      const dist = c.reduce((s, v, j) => s + (v - z[j]) ** 2, 0);
      if (dist < bestD) (bestD = dist), (best = k);
    });
    return m.classes[best];
  });
}
