/**
 * native/kernel-build.js on every CPU a user may have: the target setup picks for x86-64 with AVX2
 * only, with AVX-512 (AMD Zen 4) and with AVX512-FP16 (Intel Sapphire Rapids), and native/rnn.cc
 * compiled for every target, x86-64 here and aarch64 with Debian's cross compiler (installed with
 * apt-get when missing and we are root). Compile only (-fsyntax-only parses and instantiates all of
 * Eigen's arch-specific code). And a failed build: remembered, one line, not retried on every start.
 * Skipped, saying so, only where there is no C++ compiler.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT, SETUP_CACHE } from '../lib/paths';
import { kernelBuild as kb, type KernelTarget } from '../lib/layers/cpuKernel';
import { aptUnavailable, ensureDebianPackage, which } from '../lib/apt';

const cxx = process.env.CXX || 'g++';
const skip = spawnSync(cxx, ['--version']).status !== 0 && `no C++ compiler (${cxx}): the CPU kernel cannot be built on this machine`;
const eigen = kb.findEigen(SETUP_CACHE);
const SRC = path.join(ROOT, 'native', 'rnn.cc');

/** Compiles native/rnn.cc (without its Node glue, which has no CPU-specific code) with `compiler`; resolves to stderr on failure, '' on success. */
function compile(compiler: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(compiler, [...args, '-DGENRE_LAB_RNN_NO_NODE', `-I${eigen}`, '-fsyntax-only', SRC], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', (e) => resolve(String(e)));
    p.on('close', (code) => resolve(code === 0 ? '' : err || `exit status ${code}`));
  });
}

/** At most as many compiles at a time as there are cores. */
async function pooled<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs.length, os.availableParallelism()) }, worker));
  return out;
}

/**
 * CPUs as the compiler knows them. g++ 12 has no `-march=znver4` (13 has): there it is spelled as
 * Zen 3 plus Zen 4's AVX-512 extensions, which is what g++ 13's znver4 adds.
 */
const ZNVER4_SPELLED = ['-march=znver3', ...['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512ifma', 'avx512vbmi', 'avx512vbmi2', 'avx512bitalg', 'avx512vnni', 'avx512vpopcntdq', 'avx512bf16', 'gfni', 'vaes', 'vpclmulqdq'].map((f) => `-m${f}`)];
const CPUS: { name: string; flags: () => string[]; expect: string }[] = [
  { name: 'x86-64-v3 (AVX2 only)', flags: () => ['-march=x86-64-v3'], expect: 'x86-64-v3' },
  { name: 'x86-64-v4 (AVX-512)', flags: () => ['-march=x86-64-v4'], expect: 'x86-64-v4' },
  { name: 'sapphirerapids (Intel, AVX512-FP16)', flags: () => ['-march=sapphirerapids'], expect: 'x86-64-v4' },
  { name: 'znver4 (AMD Zen 4)', flags: () => (kb.compilerFeatures(cxx, ['-march=znver4']) ? ['-march=znver4'] : ZNVER4_SPELLED), expect: 'x86-64-v4' },
  { name: 'haswell', flags: () => ['-march=haswell'], expect: 'x86-64-v3' },
  { name: 'nehalem', flags: () => ['-march=nehalem'], expect: 'x86-64-v2' },
];
const x86 = os.arch() === 'x64';

test('each CPU gets the best target it runs: AVX2 → x86-64-v3, AVX-512 with or without FP16 → x86-64-v4', { skip: skip || (!x86 && 'the host compiler is not an x86-64 one') }, () => {
  for (const cpu of CPUS) {
    const features = kb.compilerFeatures(cxx, cpu.flags());
    assert.ok(features, `${cxx} rejects ${cpu.flags().join(' ')}`);
    assert.equal(kb.pickTarget(features, 'x64').name, cpu.expect, cpu.name);
  }
  const here = kb.pickTarget(kb.compilerFeatures(cxx, ['-march=native'])!, 'x64');
  assert.deepEqual(kb.missingFeatures(here), [], `this CPU's target ${here.name} needs only what /proc/cpuinfo lists`);
  // what the loader (lib/layers/cpuKernel.ts) checks before it loads a build: a feature this CPU lacks is named
  if (kb.cpuinfoFeatures()) assert.deepEqual(kb.missingFeatures({ ...here, needs: [...here.needs, 'no_such_feature'] }), ['no_such_feature']);
  assert.match(kb.missingFeatures(kb.target('armv8-a'))[0], /the arm64 architecture \(this machine is x64\)/);
  assert.equal(kb.pickTarget(new Set(), 'arm64').name, 'armv8-a');
  assert.throws(() => kb.pickTarget(new Set(), 'riscv64'), /no kernel target for the riscv64 architecture/);
});

test('native/rnn.cc compiles for every x86-64 target, and -march=sapphirerapids alone pulls in the AVX512-FP16 code that broke the build', { skip: skip || (!x86 && 'the host compiler is not an x86-64 one'), timeout: 600_000 }, async (t) => {
  assert.ok(eigen, `Eigen's headers are not unpacked under ${SETUP_CACHE}/eigen (node scripts/setup.js does it)`);
  const targets = kb.TARGETS.filter((x) => x.arch === 'x64');
  const errors = await pooled([
    ...targets.map((x) => () => compile(cxx, kb.compileArgs(x))),
    // What `-march=native` did on a Sapphire Rapids before the targets (the reproduction):
    () => compile(cxx, [...kb.COMMON_FLAGS, '-march=sapphirerapids']),
  ]);
  targets.forEach((x, i) => assert.equal(errors[i], '', `native/rnn.cc for ${x.name} (${x.flags.join(' ')}):\n${errors[i].slice(0, 3000)}`));
  // The header is in the translation unit with -march=sapphirerapids and not with x86-64-v4.
  const includes = (flags: string[]) => spawnSync(cxx, [...flags, '-DGENRE_LAB_RNN_NO_NODE', `-I${eigen}`, '-std=c++17', '-M', SRC], { encoding: 'utf8' }).stdout;
  assert.match(includes(['-march=sapphirerapids']), /AVX512\/PacketMathFP16\.h/);
  assert.doesNotMatch(includes(kb.target('x86-64-v4').flags), /PacketMathFP16\.h/);
  const raw = errors[targets.length];
  if (raw) assert.match(raw, /PacketMathFP16\.h.*error/, `-march=sapphirerapids failed, but not in Eigen's FP16 code:\n${raw.slice(0, 2000)}`);
  else t.diagnostic('this Eigen compiles its AVX512-FP16 code now (-march=sapphirerapids builds); the targets do not need it either way');
});

const CROSS = 'aarch64-linux-gnu-g++';
const crossSkip = skip || (!which(CROSS) && aptUnavailable() ? `${CROSS} is not installed and cannot be installed here (${aptUnavailable()}): apt-get install g++-aarch64-linux-gnu` : false);

test('native/rnn.cc cross-compiles for aarch64 (armv8-a, NEON) with g++-aarch64-linux-gnu', { skip: crossSkip, timeout: 1_200_000 }, async () => {
  assert.ok(eigen, `Eigen's headers are not unpacked under ${SETUP_CACHE}/eigen (node scripts/setup.js does it)`);
  const compiler = ensureDebianPackage('g++-aarch64-linux-gnu', () => which(CROSS), 'apt-get install g++-aarch64-linux-gnu');
  const arm: KernelTarget[] = kb.TARGETS.filter((x) => x.arch === 'arm64');
  assert.ok(arm.length > 0);
  for (const x of arm) {
    const err = await compile(compiler, kb.compileArgs(x));
    assert.equal(err, '', `native/rnn.cc for ${x.name} with ${CROSS}:\n${err.slice(0, 3000)}`);
  }
});

test('a failed build is remembered under its cache key and reported in one line with the log path; setup does not retry it', { skip: skip || (process.platform === 'win32' && 'needs sh'), timeout: 300_000 }, () => {
  const real = SETUP_CACHE;
  assert.ok(fs.existsSync(path.join(real, 'wheels')) && eigen, `setup's cache (${real}) has no TF wheel / Eigen yet (node scripts/setup.js)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-kernel-fail-'));
  try {
    // The real wheel and Eigen (no download), a fresh rnn-kernel cache, and a compiler that answers
    // like g++ about the CPU but fails every compile, counting its attempts.
    const cache = path.join(tmp, 'cache');
    fs.mkdirSync(cache);
    for (const d of ['wheels', 'eigen']) fs.symlinkSync(path.join(real, d), path.join(cache, d));
    const fake = path.join(tmp, 'fakecxx');
    const count = path.join(tmp, 'attempts');
    fs.writeFileSync(fake, `#!/bin/sh\ncase "$*" in\n  --version) echo "fakecxx 1.0"; exit 0;;\n  *-dM*) exec ${cxx} "$@";;\nesac\necho x >> '${count}'\necho "native/rnn.cc:1:1: error: simulated failure" >&2\nexit 1\n`, { mode: 0o755 });
    const setup = () => spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'setup.js'), '--quiet', '--no-venv'], {
      encoding: 'utf8',
      env: { ...process.env, CXX: fake, GENRE_LAB_CACHE: cache, GENRE_LAB_KERNEL_DIR: path.join(tmp, 'build') },
    });
    const lines = [setup(), setup()].map((r) => r.stdout.split('\n').filter((l) => /CPU recurrent kernel/.test(l)));
    for (const l of lines) {
      assert.equal(l.length, 1, 'one line');
      assert.match(l[0], /not built for x86-64(-v\d)?|not built for armv8-a/);
      assert.match(l[0], /simulated failure; full log .*build\.log \(delete its folder to retry\)/);
    }
    assert.equal(lines[1][0], lines[0][0], 'the same line on the next start');
    assert.equal(fs.readFileSync(count, 'utf8').trim().split('\n').length, 1, 'compiled once, not again on the next start');
    const log = lines[0][0].match(/full log (\S+build\.log)/)![1];
    assert.match(fs.readFileSync(log, 'utf8'), /fakecxx .*native\/rnn\.cc[\s\S]*simulated failure/);
    const info = JSON.parse(fs.readFileSync(path.join(tmp, 'build', 'genre_lab_rnn.json'), 'utf8'));
    assert.equal(info.ok, false);
    assert.equal(info.log, log);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
