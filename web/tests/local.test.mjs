// The page served by a local pixpipe server at `/` (same origin): a
// photo goes through the file input and three result images render; a file
// that is not an image shows the API's problem code and detail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  photo, launchBrowser, newPage, renderedResults, settledUpload, startPixpipe,
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

test('a photo uploaded through the file input renders three results', { timeout: 180000 }, async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/`);
  assert.equal(await page.title(), 'pixpipe: upload images');
  assert.match(await page.locator('#status').textContent(), /Ready/);

  await page.setInputFiles('#files', photo);
  const done = await settledUpload(page);
  assert.equal(done.state, 'succeeded', `${done.text}\n${page.problems.join('\n')}\n${server.logs()}`);

  const images = await renderedResults(page, 3);
  for (const img of images) {
    assert.ok(img.width > 0 && img.height > 0, `not rendered: ${JSON.stringify(img)}`);
    assert.ok(img.src.startsWith(`${server.url}/blobs/results/`), img.src);
    assert.equal(img.link, img.src, 'each image links to its result');
  }
  assert.deepEqual(images.map((i) => i.src.split('/').pop().split('.')[0]).sort(), ['large', 'medium', 'thumb']);
  const thumb = images.find((i) => i.src.includes('/thumb.'));
  assert.deepEqual([thumb.width, thumb.height], [300, 300]);

  assert.equal(await done.item.locator('progress').evaluate((p) => p.value), 100);
  assert.match(await page.locator('#status').textContent(), /rocket\.jpg: done, 3 results/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a file that is not an image shows the API problem code and detail', { timeout: 60000 }, async () => {
  // What the API itself says about such a request.
  const answer = await fetch(`${server.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ content_type: 'text/plain', content_length: 14, filename: 'notes.txt' }),
  });
  assert.equal(answer.status, 415);
  const problem = await answer.json();
  assert.equal(problem.code, 'unsupported_media_type');

  const page = await newPage(browser);
  await page.goto(`${server.url}/`);
  await page.setInputFiles('#files', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just some text') });
  const refused = await settledUpload(page, 30000);
  assert.equal(refused.state, 'error', refused.text);
  assert.ok(refused.error.includes('unsupported_media_type'), refused.error);
  assert.ok(refused.error.includes(problem.detail), `${refused.error} lacks ${problem.detail}`);
  assert.ok(refused.error.includes('415'), refused.error);
  assert.equal(await refused.item.locator('.job-error').getAttribute('role'), 'alert');

  // Text renamed to .jpg: accepted and uploaded, then the job fails with its own code.
  await page.setInputFiles('#files', { name: 'renamed.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('just some text') });
  const failed = await settledUpload(page, 60000);
  assert.equal(failed.state, 'failed', failed.text);
  assert.match(failed.error, /^Job failed: not_an_image: \S/, failed.error);
  await page.close();
});
