/*
 * Shared by scripts/download-gtzan.js and scripts/download-fma.js: resumable HTTP(S) download with
 * a progress line, checksum verification, archive unpacking, and the fail-fast offline message.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const http = require('http');
const https = require('https');
const crypto = require('crypto');
const cp = require('child_process');

class OfflineError extends Error {}

const fmtBytes = (n) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(0)} kB`);

/** GET with redirects; `start` > 0 asks for the rest of the file (Range). Resolves with the response. */
function get(url, start, timeoutMs, redirects = 5) {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { headers: start > 0 ? { Range: `bytes=${start}-` } : {} }, (res) => {
      if ([301, 302, 303, 307, 308].includes(res.statusCode) && res.headers.location && redirects > 0) {
        res.resume();
        resolve(get(new URL(res.headers.location, url).toString(), start, timeoutMs, redirects - 1));
        return;
      }
      resolve(res);
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer from ${new URL(url).host} in ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => {
      const offline = ['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET'].includes(e.code);
      reject(offline ? new OfflineError(`${url}: ${e.code} (${e.message})`) : e);
    });
  });
}

/**
 * Downloads `url` to `dest`, resuming from `dest + '.part'` when a previous run was interrupted.
 * A finished `dest` is kept (no network). Progress goes to stderr.
 */
async function download(url, dest, { timeoutMs = 15000 } = {}) {
  if (fs.existsSync(dest)) {
    console.log(`${path.basename(dest)}: already downloaded`);
    return dest;
  }
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  let start = fs.existsSync(part) ? fs.statSync(part).size : 0;
  const res = await get(url, start, timeoutMs);
  if (res.statusCode === 416) {
    // Range not satisfiable: the .part is already complete.
    res.resume();
  } else if (res.statusCode !== 200 && res.statusCode !== 206) {
    res.resume();
    throw new Error(`${url}: HTTP ${res.statusCode}`);
  } else {
    if (res.statusCode === 200 && start > 0) {
      console.log(`${path.basename(dest)}: server does not resume, starting over`);
      start = 0;
    } else if (start > 0) console.log(`${path.basename(dest)}: resuming at ${fmtBytes(start)}`);
    const total = start + Number(res.headers['content-length'] || 0);
    const out = fs.createWriteStream(part, { flags: start > 0 ? 'a' : 'w' });
    let got = start;
    let last = 0;
    const t0 = Date.now();
    await new Promise((resolve, reject) => {
      res.on('data', (chunk) => {
        got += chunk.length;
        const now = Date.now();
        if (now - last > 1000) {
          last = now;
          const rate = (got - start) / Math.max(0.001, (now - t0) / 1000);
          const pct = total ? ` ${((100 * got) / total).toFixed(1)}%` : '';
          process.stderr.write(`  ${path.basename(dest)}: ${fmtBytes(got)}${total ? ` of ${fmtBytes(total)}` : ''}${pct} (${fmtBytes(rate)}/s)\n`);
        }
      });
      res.on('error', reject);
      res.setTimeout(timeoutMs * 4, () => res.destroy(new Error(`${url}: stalled (no data for ${(timeoutMs * 4) / 1000} s); run again to resume`)));
      out.on('error', reject);
      out.on('finish', resolve);
      res.pipe(out);
    });
    if (total && got < total) throw new Error(`${url}: connection closed at ${fmtBytes(got)} of ${fmtBytes(total)}; run again to resume`);
  }
  fs.renameSync(part, dest);
  return dest;
}

/** Hex digests of a file in one streamed pass: `{ md5: …, sha256: … }` for `algos`. */
function fileHashes(file, algos) {
  return new Promise((resolve, reject) => {
    const hs = algos.map((a) => crypto.createHash(a));
    fs.createReadStream(file)
      .on('data', (d) => hs.forEach((h) => h.update(d)))
      .on('error', reject)
      .on('end', () => resolve(Object.fromEntries(algos.map((a, i) => [a, hs[i].digest('hex')]))));
  });
}

/** Hex digest of a file (streamed). */
async function fileHash(file, algo) {
  return (await fileHashes(file, [algo]))[algo];
}

/** `{ sha256: 'ab…', md5: 'cd…' }` → 'sha256 ab…, md5 cd…' */
const describeChecksums = (sums) => Object.entries(sums).map(([a, h]) => `${a} ${h}`).join(', ');

class ChecksumError extends Error {}

/**
 * Throws ChecksumError (and renames the file to *.bad) unless every digest in `sums`
 * (`{ algo: hex }`) matches. `verify(file, algo, hex)` is the one-digest form.
 */
async function verify(file, sumsOrAlgo, expected) {
  const sums = typeof sumsOrAlgo === 'string' ? (expected ? { [sumsOrAlgo]: expected } : {}) : sumsOrAlgo;
  const algos = Object.keys(sums);
  if (!algos.length) {
    console.log(`${path.basename(file)}: no published checksum to verify`);
    return;
  }
  process.stderr.write(`  verifying ${path.basename(file)} (${algos.join(' + ')})…\n`);
  const got = await fileHashes(file, algos);
  const bad = algos.filter((a) => got[a] !== sums[a].toLowerCase());
  if (bad.length) {
    fs.renameSync(file, `${file}.bad`);
    throw new ChecksumError(
      `${path.basename(file)}: ${bad.map((a) => `${a} ${got[a]} does not match the published ${sums[a]}`).join('; ')}; moved to ${path.basename(file)}.bad`,
    );
  }
  console.log(`${path.basename(file)}: ${describeChecksums(sums)} ok`);
}

/** Thrown when no mirror delivered a file with the published checksum; carries each mirror's reason. */
class MirrorsFailedError extends Error {
  constructor(file, failures) {
    super(`no mirror delivered ${file}:\n${failures.map((f) => `  ${f.url}: ${f.reason}`).join('\n')}`);
    this.failures = failures;
  }
}

/**
 * Mirror list from an environment variable (URLs separated by spaces, commas or newlines), else
 * `defaults`. Lets tests (and users behind a proxy or with a local copy) point the scripts elsewhere.
 */
function mirrorsFromEnv(name, defaults, env = process.env) {
  const v = env[name];
  if (!v || !v.trim()) return defaults;
  return v.split(/[\s,]+/).filter(Boolean);
}

/**
 * Downloads `dest` from the first of `mirrors` that answers with the right bytes: every mirror is
 * a copy of the same file, so the same checksums (`sums`, `{ algo: hex }`) are checked whichever
 * answered. A mirror that fails (unreachable, HTTP error, stalls, wrong checksum) is named with its
 * reason and the next one is tried; a partial download (`dest.part`) resumes on the next run,
 * from whichever mirror answers then. Throws MirrorsFailedError when every mirror failed.
 */
async function downloadFromMirrors(mirrors, dest, sums, { timeoutMs = 15000 } = {}) {
  const name = path.basename(dest);
  console.error(`${name}: ${mirrors.length} mirror${mirrors.length === 1 ? '' : 's'}, tried in order:`);
  mirrors.forEach((u, i) => console.error(`  ${i + 1}. ${u}`));
  console.error(`${name}: expected ${Object.keys(sums).length ? describeChecksums(sums) : '(no published checksum)'}`);
  if (fs.existsSync(dest)) {
    console.log(`${name}: already downloaded`);
    await verify(dest, sums); // a bad copy is moved aside; the next run downloads again
    return dest;
  }
  const failures = [];
  for (const url of mirrors) {
    console.error(`${name}: trying ${url}`);
    try {
      await download(url, dest, { timeoutMs });
      await verify(dest, sums);
      console.log(`${name}: from ${url}`);
      return dest;
    } catch (e) {
      const reason = e instanceof OfflineError ? `unreachable (${e.message.replace(`${url}: `, '')})` : e.message.replace(`${url}: `, '');
      console.error(`${name}: ${url} failed: ${reason}`);
      failures.push({ url, reason });
      if (e instanceof ChecksumError) fs.rmSync(`${dest}.part`, { force: true });
    }
  }
  throw new MirrorsFailedError(name, failures);
}

/** Unpacks .tar.gz (tar) or .zip (unzip, else Python's zipfile) into `dir`. */
function unpack(archive, dir) {
  fs.mkdirSync(dir, { recursive: true });
  console.log(`unpacking ${path.basename(archive)} into ${dir}…`);
  const run = (cmd, args) => cp.spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  let r;
  if (/\.tar\.gz$|\.tgz$/.test(archive)) r = run('tar', ['-xzf', archive, '-C', dir]);
  else {
    r = run('unzip', ['-q', '-o', archive, '-d', dir]);
    if (r.error || r.status !== 0) r = run('python3', ['-m', 'zipfile', '-e', archive, dir]);
  }
  if (r.error || r.status !== 0) throw new Error(`cannot unpack ${archive}: ${r.error ? r.error.message : `exit ${r.status}`}`);
}

/** Minimal `--name value` / `--flag` / repeatable `--name v1 --name v2` ('list') parser. */
function parseArgs(argv, known) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const name = a.slice(2);
    if (!(name in known)) throw new Error(`unknown option ${a} (known: ${Object.keys(known).map((k) => `--${k}`).join(', ')})`);
    if (known[name] === 'flag') out[name] = true;
    else if (known[name] === 'list') {
      if (argv[i + 1] === undefined) throw new Error(`${a} needs a value`);
      (out[name] = out[name] || []).push(argv[++i]);
    } else {
      if (argv[i + 1] === undefined) throw new Error(`${a} needs a value`);
      out[name] = argv[++i];
    }
  }
  return out;
}

/** Runs `main`, turning OfflineError into the by-hand instructions and exit code 1. */
function runMain(main, manualHelp) {
  main().then(
    () => process.exit(0),
    (e) => {
      if (e instanceof OfflineError) {
        console.error(`cannot reach the download server: ${e.message}\n\n${manualHelp}`);
      } else if (e instanceof MirrorsFailedError) {
        console.error(`${e.message}\n\n${manualHelp}`);
      } else console.error(`error: ${e.message}`);
      process.exit(1);
    },
  );
}

module.exports = { download, downloadFromMirrors, mirrorsFromEnv, verify, unpack, parseArgs, runMain, fileHash, fileHashes, OfflineError, MirrorsFailedError };
