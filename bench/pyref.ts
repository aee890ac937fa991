/**
 * The Python reference implementations (librosa, scikit-learn, PyTorch CPU) that benchmarks
 * compare against. They are bench/test tools, never runtime dependencies: installed on demand
 * into the project venv the first time a bench needs them, not by the user's setup.
 */
import { spawnSync } from 'child_process';
import { VENV_PYTHON } from '../lib/paths';

/** Makes sure `modules` import in the venv, pip-installing `pipNames` (defaults to the module names) if not. */
export function ensurePythonPackages(modules: string[], pipNames: string[] = modules): string {
  const probe = spawnSync(VENV_PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
  if (probe.status === 0) return VENV_PYTHON;
  console.log(`[bench] installing ${pipNames.join(', ')} into .venv (reference implementations, once)…`);
  const r = spawnSync(VENV_PYTHON, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', ...pipNames], {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, PIP_RETRIES: '0' },
  });
  if (r.status !== 0) throw new Error(`pip install ${pipNames.join(' ')} failed:\n${(r.stderr || '').slice(-2000)}`);
  return VENV_PYTHON;
}

/** Runs a Python script in the venv and returns its last stdout line parsed as JSON. */
export function runPythonJson<T>(script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): T {
  const r = spawnSync(VENV_PYTHON, [script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${script} failed:\n${(r.stderr || '').slice(-3000)}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as T;
}
