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

/** Hex digest of a file (streamed). */
function fileHash(file, algo) {
  return new Promise((resolve, reject) => {
    const h = crypto.createHash(algo);
    fs.createReadStream(file).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

/** Throws (and renames the file to *.bad) when the published checksum does not match. */
async function verify(file, algo, expected) {
  if (!expected) {
    console.log(`${path.basename(file)}: no published checksum to verify`);
    return;
  }
  process.stderr.write(`  verifying ${path.basename(file)} (${algo})…\n`);
  const got = await fileHash(file, algo);
  if (got !== expected) {
    fs.renameSync(file, `${file}.bad`);
    throw new Error(`${path.basename(file)}: ${algo} ${got} does not match the published ${expected}; moved to ${path.basename(file)}.bad, run again to re-download`);
  }
  console.log(`${path.basename(file)}: ${algo} ok`);
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

/** Minimal `--name value` / `--flag` parser. */
function parseArgs(argv, known) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const name = a.slice(2);
    if (!(name in known)) throw new Error(`unknown option ${a} (known: ${Object.keys(known).map((k) => `--${k}`).join(', ')})`);
    if (known[name] === 'flag') out[name] = true;
    else {
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
      } else console.error(`error: ${e.message}`);
      process.exit(1);
    },
  );
}

module.exports = { download, verify, unpack, parseArgs, runMain, fileHash, OfflineError };
