#!/usr/bin/env node
/*
 * genre-lab setup: idempotent, run by `npm start`, `npm test` and `npm run lab`
 * before they do anything else, so a user needs no third command.
 *
 *  1. Native TensorFlow for tfjs. `@tensorflow/tfjs-node-gpu` when an NVIDIA GPU
 *     answers `nvidia-smi`, else `@tensorflow/tfjs-node`. We first run the
 *     package's own install script (it downloads libtensorflow 2.9.1 from Google's
 *     storage). Where that can't be reached, we take the TF C API out of the
 *     `tensorflow-cpu` (GPU: `tensorflow`) pip wheel and build the binding from
 *     source with node-pre-gyp. The result is cached under
 *     ~/.cache/genre-lab/ (or $GENRE_LAB_CACHE) so later runs take seconds.
 *  2. The CPU recurrent kernel (native/rnn.cc), compiled with Eigen's headers from the same wheel
 *     for an explicit CPU target (native/kernel-build.js); optional (without it the recurrent layers
 *     run on TF ops, slower), a failed build is remembered and reported with its log's path.
 *  3. A project-local Python venv (.venv) with JupyterLab, nbclient and plotly
 *     (its JupyterLab renderer), with the tslab kernel registered inside it.
 *  4. A summary of what is set up and which backend is active.
 *
 * Flags: --quiet (summary only), --no-venv, --check (report, change nothing).
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const cp = require('child_process');
const crypto = require('crypto');

const ROOT = path.resolve(__dirname, '..');
const CACHE = process.env.GENRE_LAB_CACHE || path.join(os.homedir(), '.cache', 'genre-lab');
const VENV = path.join(ROOT, '.venv');
const args = new Set(process.argv.slice(2));
const QUIET = args.has('--quiet');
const CHECK = args.has('--check');

/** Python packages of the notebook runtime (not librosa/torch: those are test/bench tools). */
const VENV_REQUIREMENTS = ['jupyterlab', 'nbclient', 'nbconvert', 'ipykernel', 'plotly'];

function log(msg) { if (!QUIET) console.log(`[setup] ${msg}`); }
function sh(cmd, argv, opts = {}) {
  return cp.spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
}
function ok(cmd, argv, opts) { const r = sh(cmd, argv, opts); return r.status === 0 ? r : null; }
function fail(msg) { console.error(`[setup] ERROR: ${msg}`); process.exit(1); }

function hasNvidiaGpu() {
  if (process.env.GENRE_LAB_FORCE_CPU === '1') return false;
  const r = ok('nvidia-smi', ['-L']);
  return !!(r && /GPU \d+:/.test(r.stdout));
}

function pkgDir(name) { return path.join(ROOT, 'node_modules', ...name.split('/')); }
function pkgVersion(name) { return JSON.parse(fs.readFileSync(path.join(pkgDir(name), 'package.json'), 'utf8')).version; }

/** Load the package in a child process and run a matmul: a broken binding can abort the process. */
function probeBinding(name) {
  const code = `
    const tf = require(${JSON.stringify(name)});
    const a = tf.tensor2d([[1,2],[3,4]]), b = tf.tensor2d([[5,6],[7,8]]);
    const c = Array.from(tf.matMul(a, b).dataSync());
    if (c.join(',') !== '19,22,43,50') throw new Error('matmul gave ' + c);
    console.log(JSON.stringify({ backend: tf.getBackend(), tf: tf.version.tfjs }));`;
  const r = sh(process.execPath, ['-e', code], { cwd: ROOT, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  if (r.status !== 0) return { ok: false, error: (r.stderr || '').trim().split('\n').slice(-3).join(' | ') };
  const last = r.stdout.trim().split('\n').pop();
  return { ok: true, ...JSON.parse(last) };
}

function copyDir(src, dst) { fs.rmSync(dst, { recursive: true, force: true }); fs.cpSync(src, dst, { recursive: true, verbatimSymlinks: true }); }

/** The napi build folder node-pre-gyp writes to (lib/napi-vN). */
function bindingDirs(dir) {
  const lib = path.join(dir, 'lib');
  return fs.existsSync(lib) ? fs.readdirSync(lib).filter((d) => d.startsWith('napi-v')).map((d) => path.join(lib, d)) : [];
}

/**
 * Install a cached build into the package: deps/ is a symlink to the cache (libtensorflow is
 * ~850 MB, never copied per checkout), lib/napi-vN is copied (the binding's rpath is
 * $ORIGIN/../../deps/lib, which resolves through the link).
 */
function installFromCache(dir, cacheDir) {
  const deps = path.join(dir, 'deps');
  fs.rmSync(deps, { recursive: true, force: true });
  fs.symlinkSync(path.join(cacheDir, 'deps'), deps);
  for (const b of fs.readdirSync(path.join(cacheDir, 'lib'))) copyDir(path.join(cacheDir, 'lib', b), path.join(dir, 'lib', b));
}

function saveToCache(dir, cacheDir) {
  const tmp = cacheDir + '.tmp';
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, 'lib'), { recursive: true });
  const deps = fs.realpathSync(path.join(dir, 'deps'));
  if (deps !== path.join(cacheDir, 'deps')) copyDir(deps, path.join(tmp, 'deps'));
  else fs.renameSync(deps, path.join(tmp, 'deps'));
  for (const b of bindingDirs(dir)) copyDir(b, path.join(tmp, 'lib', path.basename(b)));
  fs.rmSync(cacheDir, { recursive: true, force: true });
  fs.renameSync(tmp, cacheDir);
  installFromCache(dir, cacheDir);
}

/** Route A: the package's own install script (downloads libtensorflow + prebuilt binding). */
function tryOwnInstall(dir, gpu) {
  log(`trying ${path.basename(dir)}'s own libtensorflow download…`);
  const pkgJson = path.join(dir, 'package.json');
  const orig = fs.readFileSync(pkgJson); // the script rewrites package.json; keep it pristine
  const r = sh(process.execPath, ['scripts/install.js', ...(gpu ? ['gpu', 'download'] : [])], { cwd: dir, timeout: 15 * 60e3 });
  fs.writeFileSync(pkgJson, orig);
  if (r.status === 0 && bindingDirs(dir).length) return true;
  const why = `${r.stderr || ''}${r.stdout || ''}`.match(/(ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN)[^\n]*/);
  log(`own download failed${why ? ` (${why[0].slice(0, 80)})` : ''}; falling back to the pip wheel`);
  return false;
}

/**
 * The TensorFlow pip wheel in the cache (downloaded once, ~270 MB): its C API builds the tfjs binding
 * offline, and its Eigen headers build the CPU recurrent kernel. Returns its path, or null (with
 * `onMissing` told why) when pip cannot fetch it.
 */
function ensureWheel(wheelPkg, onMissing) {
  const wheels = path.join(CACHE, 'wheels');
  fs.mkdirSync(wheels, { recursive: true });
  const find = () => fs.readdirSync(wheels).find((f) => f.startsWith(wheelPkg.replace('-', '_') + '-') && f.endsWith('.whl'));
  let whl = find();
  if (!whl) {
    log(`downloading the ${wheelPkg} wheel (~270 MB) for its TensorFlow C API and headers…`);
    const r = sh('python3', ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '-d', wheels, wheelPkg],
      { stdio: QUIET ? 'pipe' : 'inherit', env: { ...process.env, PIP_RETRIES: '0' } });
    whl = find();
    if (r.status !== 0 || !whl) return onMissing(`pip could not download ${wheelPkg}`);
  }
  return path.join(wheels, whl);
}

/** Route B: TF C API from the pip wheel + binding built from source. */
function buildFromWheel(dir, gpu) {
  const wheelPkg = gpu ? 'tensorflow' : 'tensorflow-cpu';
  const whl = ensureWheel(wheelPkg, (why) => fail(`${why}; no route to libtensorflow is left.\n` +
    '  Offline? Put libtensorflow into node_modules/@tensorflow/tfjs-node/deps by hand (see README).'));
  const deps = path.join(dir, 'deps');
  fs.rmSync(deps, { recursive: true, force: true });
  const stage = path.join(CACHE, 'unpack');
  fs.rmSync(stage, { recursive: true, force: true });
  log(`unpacking the C API from ${path.basename(whl)}…`);
  const u = sh('unzip', ['-q', '-o', whl, 'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2',
    'tensorflow/include/tensorflow/c/*', 'tensorflow/include/tensorflow/core/platform/ctstring*', 'tensorflow/include/tsl/platform/ctstring*',
    'tensorflow/include/xla/tsl/c/*', 'tensorflow/include/tsl/c/*', '-d', stage]);
  if (u.status !== 0 && u.status !== 11 /* some patterns absent */) fail(`unzip failed: ${u.stderr}`);
  fs.mkdirSync(path.join(deps, 'lib'), { recursive: true });
  fs.renameSync(path.join(stage, 'tensorflow', 'include'), path.join(deps, 'include'));
  for (const f of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) fs.renameSync(path.join(stage, 'tensorflow', f), path.join(deps, 'lib', f));
  fs.symlinkSync('libtensorflow_cc.so.2', path.join(deps, 'lib', 'libtensorflow.so'));
  fs.symlinkSync('libtensorflow_framework.so.2', path.join(deps, 'lib', 'libtensorflow_framework.so'));
  fs.rmSync(stage, { recursive: true, force: true });

  log('building the tfjs binding from source (~1 min)…');
  const preGyp = path.join(ROOT, 'node_modules', '@mapbox', 'node-pre-gyp', 'bin', 'node-pre-gyp');
  const nodedir = ['/usr/include/node/node.h', '/usr/local/include/node/node.h'].find((f) => fs.existsSync(f));
  const gypArgs = ['rebuild', '--build-from-source'];
  if (nodedir) gypArgs.push(`--nodedir=${path.dirname(path.dirname(path.dirname(nodedir)))}`);
  const build = () => sh(process.execPath, [preGyp, ...gypArgs], { cwd: dir, stdio: QUIET ? 'pipe' : 'inherit',
    env: { ...process.env, JOBS: String(os.cpus().length) } });
  let b = build();
  if (b.status !== 0) {
    // Seen once on a clean clone: node-pre-gyp's napi build dir swap failed (ENOENT, rename 'build' ->
    // 'build-tmp-napi-v3'); the same command then succeeded. One retry before giving up.
    log('building the tfjs binding failed; retrying once…');
    b = build();
  }
  if (b.status !== 0) fail(`building the tfjs binding failed:\n${(b.stderr || '').slice(-2000)}`);
}

function ensureTfjsNative() {
  const gpu = hasNvidiaGpu();
  const name = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  const dir = pkgDir(name);
  if (!fs.existsSync(dir)) fail(`${name} is not installed: run \`npm install\` first.`);
  let probe = probeBinding(name);
  if (probe.ok) return { name, gpu, route: 'already set up', probe };
  if (CHECK) return { name, gpu, route: 'missing', probe };
  const cacheDir = path.join(CACHE, `${name.replace('@tensorflow/', '')}-${pkgVersion(name)}-node-abi${process.versions.modules}`);
  let route;
  if (fs.existsSync(path.join(cacheDir, 'deps')) && fs.existsSync(path.join(cacheDir, 'lib'))) {
    installFromCache(dir, cacheDir);
    route = `cache (${cacheDir})`;
    probe = probeBinding(name);
  }
  if (!probe.ok) {
    const t0 = Date.now();
    if (process.env.GENRE_LAB_SKIP_DOWNLOAD !== '1' && tryOwnInstall(dir, gpu)) route = 'package download';
    else { buildFromWheel(dir, gpu); route = 'built from the pip wheel\'s C API'; }
    probe = probeBinding(name);
    if (!probe.ok) fail(`${name} still does not load after setup: ${probe.error}`);
    saveToCache(dir, cacheDir);
    route += `, cached in ${cacheDir} (${((Date.now() - t0) / 1000).toFixed(0)} s)`;
  }
  return { name, gpu, route, probe };
}

/** Node-API headers (node_api.h) for building an addon against this node. */
function nodeApiIncludeDir() {
  const candidates = [path.resolve(process.execPath, '..', '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node',
    path.join(os.homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'node_api.h')));
}

/**
 * 2. The CPU recurrent kernel: native/rnn.cc compiled into native/build/genre_lab_rnn.node (a
 * Node-API addon, so one build serves every node version), with Eigen's headers from the TF wheel,
 * for the best of native/kernel-build.js's explicit targets this CPU runs (why not -march=native:
 * see there). native/build/genre_lab_rnn.json says which target, or why the build failed.
 * Without it the fused recurrent layers run on TF ops (slower), and the summary says why.
 * Builds are cached under $GENRE_LAB_CACHE/rnn-kernel/<key> (source, flags, compiler); so are
 * failures: a failed key keeps its build.log and is not retried until that folder is deleted.
 */
function ensureRnnKernel() {
  const kb = require('../native/kernel-build.js');
  const srcs = kb.SOURCES.map((f) => path.join(ROOT, 'native', f));
  // GENRE_LAB_KERNEL_DIR: another folder for the addon (test/rnn-kernel-build.test.ts), so a test never touches the real one
  const buildDir = process.env.GENRE_LAB_KERNEL_DIR || path.join(ROOT, 'native', 'build');
  const out = path.join(buildDir, 'genre_lab_rnn.node');
  const info = path.join(buildDir, 'genre_lab_rnn.json');
  const cxx = process.env.CXX || 'g++';
  const version = ok(cxx, ['--version']);
  if (!version) {
    fs.rmSync(info, { force: true });
    return { ok: false, note: `not built: no C++ compiler (${cxx}); recurrent layers run on TF ops` };
  }
  const features = kb.compilerFeatures(cxx, ['-march=native']) || kb.cpuinfoFeatures() || new Set();
  let target;
  try {
    target = kb.pickTarget(features);
  } catch (e) {
    return { ok: false, note: `not built: ${e.message}; recurrent layers run on TF ops` };
  }
  const flags = kb.compileArgs(target, { defines: ['NODE_GYP_MODULE_NAME=genre_lab_rnn'], extra: ['-shared'] });
  const key = crypto.createHash('sha1').update(JSON.stringify([...srcs.map((f) => fs.readFileSync(f, 'utf8')), flags, version.stdout.split('\n')[0]])).digest('hex').slice(0, 16);
  const keyDir = path.join(CACHE, 'rnn-kernel', key);
  const cached = path.join(keyDir, 'genre_lab_rnn.node');
  const logFile = path.join(keyDir, 'build.log');
  const failedFile = path.join(keyDir, 'FAILED');
  const record = (r) => { fs.mkdirSync(path.dirname(info), { recursive: true }); fs.writeFileSync(info, JSON.stringify({ key, target: target.name, needs: target.needs, ...r }, null, 2) + '\n'); };
  /** Why the addon at `out` does not load ('' when it loads and answers). */
  const loadProblem = () => {
    const r = sh(process.execPath, ['-e', `const k = require(${JSON.stringify(out)}); console.log(k.setThreads(1))`]);
    return r.status === 0 && r.stdout.trim() === '1' ? '' : `the built addon does not load: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ')}`;
  };
  const failed = (error) => {
    if (!CHECK) {
      fs.rmSync(out, { force: true });
      record({ ok: false, error, log: logFile });
    }
    return { ok: false, note: `not built for ${target.name}, recurrent layers run on TF ops: ${error.slice(0, 160)}; full log ${logFile} (delete its folder to retry)` };
  };
  const have = fs.existsSync(info) ? JSON.parse(fs.readFileSync(info, 'utf8')) : {};
  if (have.ok && have.key === key && fs.existsSync(out) && !loadProblem()) return { ok: true, note: `already built (${target.name})` };
  if (fs.existsSync(failedFile)) return failed(fs.readFileSync(failedFile, 'utf8').trim());
  if (CHECK) return { ok: false, note: `not built (or out of date) for ${target.name}` };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  if (fs.existsSync(cached)) {
    fs.copyFileSync(cached, out);
    if (!loadProblem()) {
      record({ ok: true });
      return { ok: true, note: `${target.name}, from cache (${keyDir})` };
    }
  }
  const napi = nodeApiIncludeDir();
  if (!napi) return { ok: false, note: 'not built: node_api.h not found (install the nodejs headers); recurrent layers run on TF ops' };
  let missing = '';
  const whl = ensureWheel(hasNvidiaGpu() ? 'tensorflow' : 'tensorflow-cpu', (why) => ((missing = why), null));
  if (!whl) return { ok: false, note: `not built: ${missing} (for Eigen's headers); recurrent layers run on TF ops` };
  const eigen = kb.eigenDir(CACHE, whl);
  if (!fs.existsSync(path.join(eigen, 'Eigen', 'Core'))) {
    const stage = `${eigen}.unpack`;
    fs.rmSync(stage, { recursive: true, force: true });
    fs.mkdirSync(stage, { recursive: true });
    const u = sh('unzip', ['-q', '-o', whl, 'tensorflow/include/Eigen/*', 'tensorflow/include/unsupported/Eigen/*', '-d', stage]);
    if (u.status !== 0) return { ok: false, note: `not built: unzip of Eigen from ${path.basename(whl)} failed` };
    fs.rmSync(eigen, { recursive: true, force: true });
    fs.renameSync(path.join(stage, 'tensorflow', 'include'), eigen);
    fs.rmSync(stage, { recursive: true, force: true });
  }
  log(`compiling the CPU recurrent kernel (native/rnn.cc for ${target.name}, ~30 s)…`);
  const t0 = Date.now();
  const argv = [...flags, `-I${napi}`, `-I${eigen}`, ...srcs, '-o', out];
  const c = sh(cxx, argv);
  fs.mkdirSync(keyDir, { recursive: true });
  fs.writeFileSync(logFile, `$ ${cxx} ${argv.join(' ')}\n${c.stdout || ''}${c.stderr || ''}${c.error ? String(c.error) : ''}\nexit status ${c.status}\n`);
  const problem = c.status !== 0
    ? `${cxx} failed: ${(c.stderr || '').split('\n').find((l) => /error/.test(l)) || `exit status ${c.status}`}`
    : loadProblem();
  if (problem) {
    fs.writeFileSync(failedFile, problem + '\n');
    return failed(problem);
  }
  fs.copyFileSync(out, cached);
  record({ ok: true });
  return { ok: true, note: `compiled for ${target.name} in ${((Date.now() - t0) / 1000).toFixed(0)} s, cached in ${keyDir}` };
}

function venvPython() { return path.join(VENV, 'bin', 'python'); }

function ensureVenv() {
  const stampFile = path.join(VENV, '.genre-lab-stamp');
  const tslabBin = path.join(ROOT, 'node_modules', '.bin', 'tslab');
  const kernelBin = path.join(ROOT, 'scripts', 'tslab-kernel');
  const want = crypto.createHash('sha1').update(JSON.stringify([VENV_REQUIREMENTS, pkgVersion('tslab'), kernelBin])).digest('hex');
  const have = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, 'utf8').trim() : '';
  if (have === want && fs.existsSync(venvPython())) return 'already set up';
  if (CHECK) return 'missing';
  const t0 = Date.now();
  if (!fs.existsSync(venvPython())) {
    log('creating the project venv (.venv)…');
    const r = sh('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
    if (r.status !== 0) fail('python3 -m venv failed (Debian: apt-get install python3-venv)');
  }
  log(`installing ${VENV_REQUIREMENTS.join(', ')} into .venv…`);
  const p = sh(venvPython(), ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', ...VENV_REQUIREMENTS],
    { env: { ...process.env, PIP_RETRIES: '0' } });
  if (p.status !== 0) fail(`pip install into .venv failed:\n${(p.stderr || '').slice(-3000)}`);
  // Register the tslab kernel inside the venv (not user-global): kernelspec lands in
  // .venv/share/jupyter/kernels. It starts through scripts/tslab-kernel (cwd = repo root).
  const k = sh(tslabBin, ['install', `--python=${venvPython()}`, '--sys-prefix', `--binary=${kernelBin}`], { cwd: ROOT, encoding: 'utf8' });
  if (k.status !== 0) fail(`tslab install failed:\n${k.stderr}${k.stdout}`);
  fs.writeFileSync(stampFile, want + '\n');
  return `created in ${((Date.now() - t0) / 1000).toFixed(0)} s`;
}

function kernelSpecs() {
  const r = ok(path.join(VENV, 'bin', 'jupyter'), ['kernelspec', 'list', '--json']);
  if (!r) return {};
  return JSON.parse(r.stdout).kernelspecs;
}

function main() {
  const t0 = Date.now();
  const tf = ensureTfjsNative();
  const rnn = tf.gpu ? { ok: false, note: 'not needed: the GPU build runs the recurrent layers on TF ops' } : ensureRnnKernel();
  const venv = args.has('--no-venv') ? 'skipped' : ensureVenv();
  const specs = args.has('--no-venv') ? {} : kernelSpecs();
  const tsSpec = specs.tslab;
  const summary = [
    `tfjs native: ${tf.name} (${tf.gpu ? 'NVIDIA GPU found' : 'no NVIDIA GPU: CPU build'}) — ${tf.route}`,
    `  active backend: ${tf.probe.ok ? `${tf.probe.backend} (tfjs ${tf.probe.tf}), matmul verified` : `NOT WORKING: ${tf.probe.error}`}`,
    `CPU recurrent kernel: native/build/genre_lab_rnn.node — ${rnn.note}`,
    `python venv: ${VENV} — ${venv}`,
    `jupyter kernel: ${tsSpec ? `tslab at ${tsSpec.resource_dir}` : 'tslab NOT registered'}`,
    `setup took ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  ];
  console.log(summary.map((l) => `[setup] ${l}`).join('\n'));
  if (!tf.probe.ok || (!args.has('--no-venv') && !tsSpec)) process.exit(1);
}

main();
