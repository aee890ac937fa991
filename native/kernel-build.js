'use strict';
/**
 * How native/rnn.cc (with native/tfops.cc) is compiled, stated once: scripts/setup.js builds with it, lib/layers/cpuKernel.ts
 * checks at load time that this CPU can run the build, and the tests compile every target with it
 * (test/rnn-kernel-build.test.ts, also cross-compiling for aarch64, and the ASan check).
 *
 * Design: a small set of explicit targets, never `-march=native`. On x86-64 the targets are the
 * psABI micro-architecture levels (x86-64-v4: AVX-512 F/BW/CD/DQ/VL; v3: AVX2 + FMA; v2: SSE4.2;
 * the x86-64 baseline); on arm64, ARMv8-A (NEON is part of it). Setup picks the highest target this
 * CPU supports, from the features the compiler reports for `-march=native`.
 * Why not `-march=native`:
 *  - `-march=native` turns on every extension of the machine, and Eigen's headers have a code path
 *    per extension: on an Intel Sapphire Rapids (AVX512-FP16) Eigen's AVX512/PacketMathFP16.h does
 *    not compile with g++ 12 (the TF 2.21 wheel's Eigen), so the kernel was not built there and the
 *    layers silently fell back to TF ops. Turning off the one extension (`-mno-avx512fp16`) fixes
 *    that machine until the next extension Eigen mishandles (BF16, AMX, AVX10, SVE, ARM FP16…).
 *    The levels hold only what float32 GEMMs use; Eigen has compiled them for years.
 *  - The same target gives the same binary, so an AMD developer and an Intel CI machine with
 *    AVX-512 run the same code path (same float results), and all targets are compiled and checked
 *    here, on any machine, by the test, instead of only the one CPU the developer has.
 *  - A build copied to another machine (shared home, container image) names the features it needs;
 *    lib/layers/cpuKernel.ts refuses it with a reason instead of dying on an illegal instruction.
 * `-ffp-contract=off`: no FMA contraction the source did not ask for. (Eigen's GEMMs use FMA and
 * packet widths of their target, so results differ in the last bits between targets, never between
 * machines on the same target.)
 */
const cp = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

/** The addon's sources (in native/): the recurrent kernel and the TensorFlow CPU ops it registers (tfops.cc). */
const SOURCES = ['rnn.cc', 'tfops.cc'];

/** Flags of every build, whatever the target. */
const COMMON_FLAGS = ['-O3', '-ffp-contract=off', '-fno-math-errno', '-std=c++17', '-fPIC', '-DNDEBUG', '-pthread'];

/**
 * Build targets, best first within an architecture. `needs`: CPU features in /proc/cpuinfo's
 * spelling (`macro` turns one into the compiler's predefined macro); the levels' other features come
 * with these on every CPU that has them.
 */
const TARGETS = [
  { name: 'x86-64-v4', arch: 'x64', flags: ['-march=x86-64-v4'], needs: ['avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl', 'avx2', 'fma', 'bmi2'] },
  { name: 'x86-64-v3', arch: 'x64', flags: ['-march=x86-64-v3'], needs: ['avx2', 'fma', 'bmi1', 'bmi2', 'f16c', 'movbe', 'abm'] },
  { name: 'x86-64-v2', arch: 'x64', flags: ['-march=x86-64-v2'], needs: ['sse4_2', 'sse4_1', 'ssse3', 'popcnt'] },
  { name: 'x86-64', arch: 'x64', flags: ['-march=x86-64'], needs: [] },
  { name: 'armv8-a', arch: 'arm64', flags: ['-march=armv8-a'], needs: [] },
];

/** The compiler's predefined macro for a feature named as /proc/cpuinfo does (`avx512f` → `__AVX512F__`). */
function macro(feature) {
  return { bmi1: '__BMI__', abm: '__LZCNT__', sse4_2: '__SSE4_2__', sse4_1: '__SSE4_1__' }[feature] || `__${feature.toUpperCase()}__`;
}

/**
 * Features as the compiler sees them for `archFlags` (`['-march=native']`: this CPU), in cpuinfo's
 * spelling; null when the compiler rejects the flags.
 */
function compilerFeatures(cxx, archFlags) {
  const r = cp.spawnSync(cxx, [...archFlags, '-dM', '-E', '-x', 'c++', '-'], { input: '', encoding: 'utf8' });
  if (r.status !== 0) return null;
  const defined = new Set(r.stdout.split('\n').map((l) => l.split(' ')[1]));
  const all = new Set(TARGETS.flatMap((t) => t.needs));
  return new Set([...all].filter((f) => defined.has(macro(f))));
}

/** This CPU's features from /proc/cpuinfo (Linux), or null where that file does not exist. */
function cpuinfoFeatures() {
  if (!fs.existsSync('/proc/cpuinfo')) return null;
  const m = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^(flags|Features)\s*:(.*)$/m);
  return new Set(m ? m[2].trim().split(/\s+/) : []);
}

/** The best target for `arch` (node's `os.arch()` spelling) whose needs are all in `features`. */
function pickTarget(features, arch = os.arch()) {
  const t = TARGETS.find((c) => c.arch === arch && c.needs.every((f) => features.has(f)));
  if (!t) throw new Error(`native/kernel-build.js: no kernel target for the ${arch} architecture (known: ${[...new Set(TARGETS.map((c) => c.arch))].join(', ')})`);
  return t;
}

/** The target by name. */
function target(name) {
  const t = TARGETS.find((c) => c.name === name);
  if (!t) throw new Error(`native/kernel-build.js: unknown kernel target '${name}'`);
  return t;
}

/** Features of `t` this CPU lacks (per /proc/cpuinfo; [] where it cannot tell). */
function missingFeatures(t) {
  if (t.arch !== os.arch()) return [`the ${t.arch} architecture (this machine is ${os.arch()})`];
  const have = cpuinfoFeatures();
  return have ? t.needs.filter((f) => !have.has(f)) : [];
}

/** Where setup unpacks Eigen's headers from the TF wheel `wheel` (a file name) under the cache `cache`. */
function eigenDir(cache, wheel) {
  return path.join(cache, 'eigen', path.basename(wheel, '.whl'));
}

/** An Eigen that setup unpacked under `cache`, or undefined. */
function findEigen(cache) {
  const root = path.join(cache, 'eigen');
  if (!fs.existsSync(root)) return undefined;
  return fs.readdirSync(root).map((d) => path.join(root, d)).find((d) => fs.existsSync(path.join(d, 'Eigen', 'Core')));
}

/** Compiler arguments for native/rnn.cc (or native/check.cc) for `t`; `extra` ends the list. */
function compileArgs(t, { includes = [], defines = [], extra = [] } = {}) {
  return [...COMMON_FLAGS, ...t.flags, ...defines.map((d) => `-D${d}`), ...includes.map((i) => `-I${i}`), ...extra];
}

module.exports = { SOURCES, COMMON_FLAGS, TARGETS, macro, compilerFeatures, cpuinfoFeatures, pickTarget, target, missingFeatures, eigenDir, findEigen, compileArgs };
