/** Runs the real `genre-lab` command as a user's shell would, for the tests of what it prints. */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../../lib/paths';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * `genre-lab <argv> 2>stderr | python3 -c 'json.load(sys.stdin)'` through sh (a real pipe): asserts
 * the pipeline succeeds, and returns the parsed JSON, the command's exit status and its stderr.
 * GENRE_LAB_VERBOSE and TF_CPP_MIN_LOG_LEVEL come from `env` only.
 */
export function jsonFromCli(argv: string[], env: NodeJS.ProcessEnv = {}): { json: unknown; status: number; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-cli-'));
  try {
    const [out, err, code] = ['out.json', 'err.txt', 'status'].map((f) => path.join(dir, f));
    const cmd =
      `{ ${quote(process.execPath)} ${quote(path.join(ROOT, 'bin', 'genre-lab.js'))} ${argv.map(quote).join(' ')} 2>${quote(err)}; echo $? >${quote(code)}; } ` +
      `| tee ${quote(out)} | python3 -c 'import json,sys; json.load(sys.stdin)'`;
    const { GENRE_LAB_VERBOSE: _v, TF_CPP_MIN_LOG_LEVEL: _l, ...base } = process.env;
    const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', env: { ...base, ...env } });
    const stderr = fs.existsSync(err) ? fs.readFileSync(err, 'utf8') : '';
    assert.equal(r.status, 0, `stdout of genre-lab ${argv.join(' ')} is not JSON:\n${r.stderr}\nstdout:\n${fs.readFileSync(out, 'utf8').slice(0, 2000)}\nstderr:\n${stderr.slice(-2000)}`);
    return { json: JSON.parse(fs.readFileSync(out, 'utf8')), status: Number(fs.readFileSync(code, 'utf8')), stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
