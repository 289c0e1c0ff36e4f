// Placeholders and source facts on the page served by a local pixpipe server:
// while the result images are held back, each is painted with the job's
// ThumbHash (decoded to a PNG data URL by the vendored thumbhash.js) over its
// dominant colour; once they load the placeholder goes. The job's card shows
// the source's format, upright size, bytes, ICC profile and removed metadata.
// The vendored thumbhash.js is the pinned npm package's file, unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { thumbHashToDataURL } from 'thumbhash';
import {
  photo, launchBrowser, newPage, renderedResults, repoRoot, settledUpload, startPixpipe,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startPixpipe();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the vendored thumbhash.js is the pinned npm package\'s module under its licence header', () => {
  const pinned = JSON.parse(readFileSync(path.join(repoRoot, 'web', 'package.json'), 'utf8')).devDependencies.thumbhash;
  const installed = JSON.parse(readFileSync(path.join(repoRoot, 'web', 'node_modules', 'thumbhash', 'package.json'), 'utf8'));
  assert.equal(installed.version, pinned);
  const vendored = readFileSync(path.join(repoRoot, 'web', 'thumbhash.js'), 'utf8');
  const marker = '// --- end of header ---\n';
  const header = vendored.slice(0, vendored.indexOf(marker));
  assert.ok(header.startsWith(`// thumbhash ${pinned} (npm)`), header.split('\n')[0]);
  assert.match(header, /MIT License\n\/\/\n\/\/ Copyright \(c\) 2023 Evan Wallace/);
  const original = readFileSync(path.join(repoRoot, 'web', 'node_modules', 'thumbhash', 'thumbhash.js'), 'utf8');
  assert.equal(vendored.slice(header.length + marker.length), original);
});

test('results are painted with the placeholder until they load; the source facts are shown', { timeout: 180000 }, async () => {
  const page = await newPage(browser);
  // Hold every result image back until the placeholders have been checked.
  let release;
  const released = new Promise((r) => { release = r; });
  let held = 0;
  await page.route('**/blobs/results/**', async (route) => {
    held += 1;
    await released;
    await route.continue();
  });
  const job = new Promise((resolve) => {
    page.on('response', async (r) => {
      if (/\/v1\/jobs\/[^/?]+\?wait=/.test(r.url())) {
        const body = await r.json().catch(() => null);
        if (body && body.status === 'succeeded') resolve(body);
      }
    });
  });
  await page.goto(`${server.url}/`);
  await page.setInputFiles('#files', photo);
  const done = await settledUpload(page);
  assert.equal(done.state, 'succeeded', `${done.text}\n${page.problems.join('\n')}\n${server.logs()}`);
  const { placeholder, source } = await job;

  // The job as the API sent it: the same facts the card must show.
  assert.equal(source.format, 'jpeg');
  assert.deepEqual([source.width, source.height], [640, 427]);
  assert.equal(source.bytes, statSync(photo).size);
  assert.match(source.icc_profile, /Adobe RGB/);
  assert.match(placeholder.dominant_color, /^#[0-9a-f]{6}$/);
  const expectedURL = thumbHashToDataURL(Buffer.from(placeholder.thumbhash, 'base64'));
  assert.match(expectedURL, /^data:image\/png;base64,/);

  // While the images are held back: each is painted with the placeholder.
  const painted = await page.$$eval('#jobs > li:first-child .results img', (imgs) => imgs.map((i) => ({
    complete: i.complete && i.naturalWidth > 0,
    loading: i.classList.contains('placeholder'),
    image: getComputedStyle(i).backgroundImage,
    colour: getComputedStyle(i).backgroundColor,
  })));
  assert.equal(painted.length, 3);
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(placeholder.dominant_color.slice(i, i + 2), 16));
  for (const p of painted) {
    assert.equal(p.complete, false, 'the image is still held back');
    assert.equal(p.loading, true);
    assert.equal(p.image, `url("${expectedURL}")`);
    assert.equal(p.colour, `rgb(${r}, ${g}, ${b})`);
  }
  assert.ok(held >= 1, 'the result requests were held');

  // The source's facts in the card.
  const facts = await done.item.locator('.source-facts').evaluate((dl) => ({
    hidden: dl.hidden,
    pairs: [...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent]),
  }));
  assert.equal(facts.hidden, false);
  const fact = Object.fromEntries(facts.pairs);
  assert.match(fact.Source, /^JPEG, 640×427, /);
  assert.ok(fact.Source.includes(`(${source.bytes.toLocaleString('en-US')} bytes)`), fact.Source);
  assert.equal(fact['Colour profile'], `${source.icc_profile}, converted to sRGB`);
  const removed = source.metadata_removed.length ? source.metadata_removed : ['none'];
  assert.equal(fact['Metadata removed'].split(', ').length, removed.length, fact['Metadata removed']);
  assert.equal(await done.item.locator('.skipped').isHidden(), true);

  // Once the images load, the placeholder is gone.
  release();
  const images = await renderedResults(page, 3);
  assert.ok(images.every((i) => i.width > 0 && i.height > 0), JSON.stringify(images));
  await page.waitForFunction(() => document.querySelectorAll('#jobs > li:first-child .results img.placeholder').length === 0,
    null, { timeout: 10000 });
  const after = await page.$$eval('#jobs > li:first-child .results img', (imgs) => imgs.map((i) => ({
    loading: i.classList.contains('placeholder'),
    image: getComputedStyle(i).backgroundImage,
  })));
  assert.deepEqual(after, [1, 2, 3].map(() => ({ loading: false, image: 'none' })));
  assert.deepEqual(page.problems, []);
  await page.close();
});
