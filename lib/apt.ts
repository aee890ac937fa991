/**
 * Debian packages the tests need on a fresh CI machine (headless Chromium, the aarch64 cross
 * compiler): installed with apt-get when missing and we are root. Not used by the user's setup.
 */
import { spawnSync } from 'child_process';

/** The path of `name` on PATH, or null. */
export function which(name: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/** Why `apt-get install` cannot run here ('' when it can: root with apt-get). */
export function aptUnavailable(): string {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) return 'not root';
  return which('apt-get') ? '' : 'no apt-get';
}

/**
 * `find()`'s answer, installing Debian's `pkg` first when it is null and apt-get can run. Throws with
 * the reason when it cannot be had (`hint` tells the user what to do).
 */
export function ensureDebianPackage(pkg: string, find: () => string | null, hint: string): string {
  const found = find();
  if (found) return found;
  const why = aptUnavailable();
  if (why) throw new Error(`${pkg} is not installed and cannot be installed here (${why}): ${hint}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const up = spawnSync('apt-get', ['update'], { encoding: 'utf8', env, timeout: 300_000 });
  const inst = up.status === 0 ? spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { encoding: 'utf8', env, timeout: 900_000 }) : up;
  const bin = find();
  if (!bin) throw new Error(`apt-get could not install ${pkg}: ${(inst.stderr || inst.stdout || '').slice(-1500)}`);
  return bin;
}
