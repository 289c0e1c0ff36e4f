// The static build of the page served from another origin: with that origin
// in --cors-origins the upload goes through CORS and three results render;
// against a server that does not allow it the page says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import {
  buildSite, photo, launchBrowser, newPage, renderedResults, settledUpload, startPixpipe, startStatic, tempDir,
} from './helpers.mjs';

let site;
let siteDir;
let allowing;
let refusing;
let browser;

before(async () => {
  siteDir = tempDir('site');
  mkdirSync(path.join(siteDir, 'allowed'));
  mkdirSync(path.join(siteDir, 'refused'));
  site = await startStatic(siteDir);
  allowing = await startPixpipe(['--cors-origins', `http://example.invalid,${site.origin}`]);
  refusing = await startPixpipe([], 0);
  buildSite(allowing.url, path.join(siteDir, 'allowed'));
  buildSite(refusing.url, path.join(siteDir, 'refused'));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await allowing?.stop();
  await refusing?.stop();
  await site?.close();
  if (siteDir) rmSync(siteDir, { recursive: true, force: true });
});

test('the page on another origin uploads through CORS and renders three results', { timeout: 180000 }, async () => {
  const config = readFileSync(path.join(siteDir, 'allowed', 'config.js'), 'utf8');
  assert.ok(config.includes(JSON.stringify(allowing.url)), config);
  assert.notEqual(new URL(allowing.url).origin, site.origin);

  const page = await newPage(browser);
  await page.goto(`${site.origin}/allowed/`);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.api), allowing.url);

  await page.setInputFiles('#files', photo);
  const done = await settledUpload(page);
  assert.equal(done.state, 'succeeded', `${done.text}\n${page.problems.join('\n')}\n${allowing.logs()}`);

  const images = await renderedResults(page, 3);
  for (const img of images) {
    assert.ok(img.width > 0 && img.height > 0, `not rendered: ${JSON.stringify(img)}`);
    assert.ok(img.src.startsWith(`${allowing.url}/blobs/results/`), img.src);
  }
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a server that does not allow the origin is reported, not hidden', { timeout: 60000 }, async () => {
  const page = await newPage(browser);
  await page.goto(`${site.origin}/refused/`);
  await page.setInputFiles('#files', photo);
  const refused = await settledUpload(page, 30000);
  assert.equal(refused.state, 'error', refused.text);
  assert.match(refused.error, /did not reach http:\/\/127\.0\.0\.1:\d+.*CORS/, refused.error);
  assert.ok(refused.error.includes(site.origin), refused.error);
  await page.close();
});
