// Shared pieces of the browser tests: a pixpipe server started from the built
// binary, a tiny static file server for the built page, and headless Chromium.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');

/** The pixpipe binary: $PIXPIPE_BIN, else $CARGO_TARGET_DIR/debug/pixpipe. */
export function pixpipeBin() {
  const bin = process.env.PIXPIPE_BIN
    || path.join(process.env.CARGO_TARGET_DIR || path.join(repoRoot, 'target'), 'debug', 'pixpipe');
  if (!existsSync(bin)) {
    throw new Error(`pixpipe binary not found at ${bin}: build it (cargo build -p pixpipe --bin pixpipe) or set PIXPIPE_BIN`);
  }
  return bin;
}

/** The photograph that ships with the repository (testphotos/rocket.jpg; see its SOURCES.md). */
export const photo = path.join(repoRoot, 'testphotos', 'rocket.jpg');

export function tempDir(prefix) {
  return mkdtempSync(path.join(tmpdir(), `pixpipe-web-${prefix}-`));
}

/**
 * Starts `pixpipe serve` on a free loopback port with a fresh data dir;
 * resolves once it prints its address. `extra` are more serve flags.
 */
export async function startPixpipe(extra = [], workers = 1) {
  const dataDir = tempDir('data');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PIXPIPE_')));
  env.RUST_LOG = env.RUST_LOG || 'warn';
  const child = spawn(pixpipeBin(),
    ['serve', '--addr', '127.0.0.1:0', '--data-dir', dataDir, '--workers', String(workers), ...extra],
    { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-20000); });
  const started = new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`pixpipe did not start in 30 s:\n${stderr}`)), 30000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pixpipe exited with ${code} before listening:\n${stderr}`));
    });
  });
  let url;
  try {
    url = await started;
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    url,
    logs: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `pixpipe web build --api API --out OUT`. */
export function buildSite(api, out) {
  execFileSync(pixpipeBin(), ['web', 'build', '--api', api, '--out', out], { stdio: 'pipe' });
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** Serves the files under `root` (GET only) on a free loopback port. */
export async function startStatic(root) {
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = path.join(root, pathname);
    if (!file.startsWith(root + path.sep) && file !== root) { res.writeHead(403).end(); return; }
    try { if (statSync(file).isDirectory()) file = path.join(file, 'index.html'); } catch (_) { /* 404 below */ }
    if (req.method !== 'GET' || !existsSync(file)) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, close: () => new Promise((r) => server.close(r)) };
}

/** Headless Chromium from the system (Debian's `chromium`); never downloads one. */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  // launch() runs it with a fresh temporary profile (user-data-dir).
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60000,
  });
}

/** A page that records its console errors and uncaught exceptions. */
export async function newPage(browser) {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
  page.problems = problems;
  return page;
}

/** Waits until the newest upload entry settles; returns its state and texts. */
export async function settledUpload(page, timeout = 120000) {
  const item = page.locator('#jobs > li').first();
  await page.waitForFunction(() => {
    const li = document.querySelector('#jobs > li');
    return li && ['succeeded', 'failed', 'expired', 'error'].includes(li.dataset.state);
  }, null, { timeout });
  return {
    item,
    state: await item.getAttribute('data-state'),
    error: (await item.locator('.job-error').textContent()).trim(),
    text: (await item.textContent()).replace(/\s+/g, ' ').trim(),
  };
}

/** Waits for the entry's result images to load; returns their natural sizes. */
export async function renderedResults(page, count, timeout = 30000) {
  await page.waitForFunction((n) => {
    const imgs = [...document.querySelectorAll('#jobs > li:first-child .results img')];
    return imgs.length === n && imgs.every((i) => i.complete);
  }, count, { timeout });
  return page.$$eval('#jobs > li:first-child .results img', (imgs) => imgs.map((i) => ({
    src: i.currentSrc, width: i.naturalWidth, height: i.naturalHeight,
    link: i.closest('a') && i.closest('a').href,
  })));
}
