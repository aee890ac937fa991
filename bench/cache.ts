/**
 * `npm run bench:cache -- --data DIR`: feature extraction as training does it (prepareData's feature
 * cache, cold): every track's examples for each experiment, computed in this thread (as before the
 * FeaturePool became the cache's engine) and on the pool (one worker per core, the default),
 * alternating which goes first per experiment so both see the same machine load. Prints wall
 * seconds per experiment and side, the totals and their ratio. The cache goes to a temporary folder.
 *
 * Options: --data DIR (a GTZAN tree; default ../shared/data/gtzan-sample), --experiments a,b
 * (default lecture-mlp,seed000-lstm,seed001-lstm,seed004-cnn), --threads N (pool size, default: cores).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cacheExamples, getExperiment } from '../lib/experiments';
import { loadGtzan } from '../lib/datasets/gtzan';
import { parseCommandLine, intArg, stringArg } from '../lib/cli/args';

async function main(): Promise<void> {
  const p = parseCommandLine(process.argv.slice(2), { data: { type: 'string' }, experiments: { type: 'string' }, threads: { type: 'string' } }, { maxPositionals: 0 });
  const data = path.resolve(stringArg(p, 'data') ?? path.join(__dirname, '..', '..', 'shared', 'data', 'gtzan-sample'));
  const ids = (stringArg(p, 'experiments') ?? 'lecture-mlp,seed000-lstm,seed001-lstm,seed004-cnn').split(',');
  const threads = intArg(p, 'threads', 1) ?? os.cpus().length;
  const ds = loadGtzan(data);
  const rows: { id: string; tracks: number; inProcess: number; pool: number; inProcessCpu: number; poolCpu: number }[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-bench-cache-'));
  try {
    for (const [k, id] of ids.entries()) {
      const cfg = getExperiment(id);
      const tracks = cfg.classes ? ds.tracks.filter((t) => cfg.classes!.includes(t.genre)) : ds.tracks;
      const spec = { cut: cfg.cut, features: cfg.features, layout: cfg.layout, frames: cfg.frames };
      const time = async (side: 'inProcess' | 'pool') => {
        const t0 = Date.now();
        const c0 = process.cpuUsage(); // this process's threads, worker threads included
        const r = await cacheExamples(tracks, spec, { dataset: { name: 'gtzan', root: ds.root }, dir: path.join(tmp, side), onProgress: false, concurrency: side === 'pool' ? threads : 1 });
        if (r.computed !== tracks.length - r.problems.length) throw new Error(`${id}: the cache was not cold`);
        const c = process.cpuUsage(c0);
        return [(Date.now() - t0) / 1000, (c.user + c.system) / 1e6];
      };
      const row = { id, tracks: tracks.length, inProcess: 0, pool: 0, inProcessCpu: 0, poolCpu: 0 };
      for (const side of k % 2 === 0 ? (['inProcess', 'pool'] as const) : (['pool', 'inProcess'] as const)) [row[side], row[`${side}Cpu`]] = await time(side);
      rows.push(row);
      process.stderr.write(`${id}: ${tracks.length} tracks, in-process ${row.inProcess.toFixed(1)} s, pool ${row.pool.toFixed(1)} s (load ${os.loadavg()[0].toFixed(1)})\n`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const sum = (k: 'inProcess' | 'pool' | 'inProcessCpu' | 'poolCpu') => rows.reduce((a, r) => a + r[k], 0);
  const out = [
    `Feature extraction, cold cache, ${data} (${os.cpus().length} cores, pool of ${threads}; load ${os.loadavg()[0].toFixed(1)} at the end)`,
    'Wall seconds, and CPU seconds / wall seconds (how many cores each side actually got).',
    '| experiment | tracks | one thread (s) | pool (s) | speed-up | cores used: one thread / pool |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.id} | ${r.tracks} | ${r.inProcess.toFixed(1)} | ${r.pool.toFixed(1)} | ${(r.inProcess / r.pool).toFixed(2)} | ${(r.inProcessCpu / r.inProcess).toFixed(2)} / ${(r.poolCpu / r.pool).toFixed(2)} |`),
    `| total | | ${sum('inProcess').toFixed(1)} | ${sum('pool').toFixed(1)} | ${(sum('inProcess') / sum('pool')).toFixed(2)} | ${(sum('inProcessCpu') / sum('inProcess')).toFixed(2)} / ${(sum('poolCpu') / sum('pool')).toFixed(2)} |`,
  ];
  process.stdout.write(out.join('\n') + '\n');
}

main().catch((e) => {
  console.error(`bench:cache: ${(e as Error).message}`);
  process.exit(1);
});
