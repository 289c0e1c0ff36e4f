// The pixpipe upload page. For each chosen file: create a job
// (POST /v1/jobs), send the bytes to the returned signed URL with exactly
// the returned headers (XMLHttpRequest, for upload progress), follow the job
// with the long poll GET /v1/jobs/{id}?wait=20 until it finishes, then show
// its results, each painted first with the job's placeholder (the ThumbHash
// decoded by the vendored thumbhash.js, over the dominant colour) until the
// image itself has loaded, and the source's facts. The API base comes from
// config.js (window.PIXPIPE_API; "" means this page's own origin). A module:
// index.html loads it with type="module", after config.js.
import { thumbHashToDataURL } from './thumbhash.js';

'use strict';

(() => {
  const API = String(window.PIXPIPE_API ?? '').replace(/\/+$/, '');
  const KEY_STORAGE = 'pixpipe.apiKey';
  const MAX_PARALLEL = 3;          // files in flight at once
  const MAX_FILES = 50;            // files taken from one selection or drop
  const WAIT_SECS = 20;            // long-poll length the API allows
  const REQUEST_TIMEOUT_MS = (WAIT_SECS + 15) * 1000;
  const UPLOAD_TIMEOUT_MS = 10 * 60 * 1000;
  const JOB_DEADLINE_MS = 15 * 60 * 1000;
  const POLL_RETRIES = 3;          // network failures in a row while waiting
  const TERMINAL = new Set(['succeeded', 'failed', 'expired']);
  // Headers a script may not set: the browser sends them from the body itself.
  const BROWSER_SET = new Set(['content-length', 'host', 'connection']);

  const $ = (id) => document.getElementById(id);
  const form = $('upload-form');
  const input = $('files');
  const dropZone = $('drop-zone');
  const keyInput = $('api-key');
  const statusLine = $('status');
  const list = $('jobs');
  const template = $('job-template');

  /** An error answer of the API or of the upload URL. */
  class Problem extends Error {
    constructor(status, code, detail) {
      super(detail);
      this.status = status;
      this.code = code;
    }
  }

  /** Reads a problem+json body; anything else becomes a plain HTTP error. */
  function problemFrom(status, text) {
    try {
      const body = JSON.parse(text);
      if (body && typeof body === 'object' && (body.code || body.detail)) {
        return new Problem(status, String(body.code || 'error'),
          String(body.detail || body.title || 'request refused'));
      }
    } catch (_) { /* not JSON: an S3 XML error, a proxy page, ... */ }
    const snippet = String(text || '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
    return new Problem(status, `http_${status}`, snippet.slice(0, 200) || `the server answered HTTP ${status}`);
  }

  function networkError(what, url) {
    let where = url;
    try { where = new URL(url, location.href).origin; } catch (_) { /* keep it */ }
    return new Error(`${what} did not reach ${where}: the server is down, or it does not allow this page's origin (${location.origin}) through CORS`);
  }

  function apiKey() {
    return keyInput.value.trim();
  }

  /** A JSON call to the API; resolves with the parsed body, rejects with a Problem or Error. */
  async function api(method, path, body) {
    const url = `${API}${path}`;
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (apiKey()) headers.Authorization = `Bearer ${apiKey()}`;
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        cache: 'no-store',
      });
    } catch (e) {
      if (e && e.name === 'TimeoutError') throw new Error(`${method} ${path} timed out`);
      throw networkError(`${method} ${path}`, url);
    }
    const text = await response.text();
    if (!response.ok) throw problemFrom(response.status, text);
    try {
      return JSON.parse(text);
    } catch (_) {
      throw new Error(`${method} ${path} answered something that is not JSON`);
    }
  }

  /** PUTs the file to the signed URL with the ticket's headers, reporting progress (0..1). */
  function upload(ticket, file, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(ticket.method || 'PUT', ticket.url);
      xhr.timeout = UPLOAD_TIMEOUT_MS;
      for (const [name, value] of Object.entries(ticket.headers || {})) {
        if (!BROWSER_SET.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
      }
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else reject(problemFrom(xhr.status, xhr.responseText));
      };
      xhr.onerror = () => reject(networkError('the upload', ticket.url));
      xhr.ontimeout = () => reject(new Error('the upload timed out'));
      xhr.send(file);
    });
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  /** Long-polls the job until it is finished; calls onChange on each new status. */
  async function follow(id, onChange) {
    const deadline = Date.now() + JOB_DEADLINE_MS;
    let last = null;
    let failures = 0;
    while (Date.now() < deadline) {
      const started = Date.now();
      let job;
      try {
        job = await api('GET', `/v1/jobs/${encodeURIComponent(id)}?wait=${WAIT_SECS}`);
        failures = 0;
      } catch (e) {
        if (e instanceof Problem || ++failures >= POLL_RETRIES) throw e;
        await sleep(1000 * failures);
        continue;
      }
      const changed = job.status !== last;
      if (changed) {
        last = job.status;
        onChange(job);
      }
      if (TERMINAL.has(job.status)) return job;
      // An early answer without a change (a server without long polling): pace the loop.
      if (!changed && Date.now() - started < 1000) await sleep(1000);
    }
    throw new Error('gave up waiting for the job after 15 minutes');
  }

  function announce(message) {
    statusLine.textContent = message;
  }

  const STATE_TEXT = {
    awaiting_upload: 'Waiting for the upload',
    queued: 'Uploaded; queued for processing',
    processing: 'Processing',
    succeeded: 'Done',
    failed: 'Processing failed',
    expired: 'Expired: the upload never arrived',
  };

  function formatBytes(n) {
    if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
    if (n >= 1024) return `${Math.round(n / 1024)} kB`;
    return `${n} bytes`;
  }

  /**
   * What to paint under a result while it loads: the ThumbHash (standard
   * base64) as a PNG data URL, or null when it is missing or does not
   * decode, and the dominant colour when it is a plain `#rrggbb`.
   */
  function placeholderPaint(placeholder) {
    if (!placeholder || typeof placeholder !== 'object') return { url: null, colour: null };
    let url = null;
    try {
      const bytes = Uint8Array.from(atob(String(placeholder.thumbhash || '')), (c) => c.charCodeAt(0));
      if (bytes.length >= 5) url = thumbHashToDataURL(bytes);
    } catch (_) { /* not base64, or not a ThumbHash: the colour alone */ }
    const colour = /^#[0-9a-f]{6}$/i.test(placeholder.dominant_color || '') ? placeholder.dominant_color : null;
    return { url, colour };
  }

  const METADATA_NAMES = {
    exif: 'EXIF', gps: 'GPS position', serial_numbers: 'camera serial numbers', xmp: 'XMP', iptc: 'IPTC', comment: 'comment',
  };
  const SKIP_REASONS = { budget: "over the server's AVIF budget" };

  /** The source's facts as term/description pairs for the job's card. */
  function sourceFacts(source) {
    const size = [`${String(source.format || '?').toUpperCase()}, ${source.width}×${source.height}`];
    if (source.orientation > 1) size.push(`turned upright (EXIF orientation ${source.orientation})`);
    if (source.frames > 1) size.push(`${source.frames} frames (the results show the first)`);
    if (source.has_alpha) size.push('with transparency');
    const bytes = Number(source.bytes || 0);
    size.push(`${formatBytes(bytes)} (${bytes.toLocaleString('en-US')} bytes)`);
    const removed = (source.metadata_removed || []).map((m) => METADATA_NAMES[m] || m);
    return [
      ['Source', size.join(', ')],
      ['Colour profile', source.icc_profile ? `${source.icc_profile}, converted to sRGB` : 'none (sRGB)'],
      ['Metadata removed', removed.length ? removed.join(', ') : 'none'],
    ];
  }

  /** One list entry per file, with its progress bar, state line, error and results. */
  function makeItem(file) {
    const item = template.content.firstElementChild.cloneNode(true);
    const name = file.name || 'unnamed file';
    item.querySelector('.job-name').textContent = name;
    const progress = item.querySelector('progress');
    progress.setAttribute('aria-label', `Upload of ${name}`);
    const state = item.querySelector('.job-state');
    const error = item.querySelector('.job-error');
    const results = item.querySelector('.results');
    const facts = item.querySelector('.source-facts');
    const skipped = item.querySelector('.skipped');
    state.textContent = 'Waiting for a free slot';
    list.prepend(item);
    $('empty').hidden = true;
    return {
      item,
      name,
      setProgress(fraction) {
        progress.value = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
      },
      setState(text, kind) {
        state.textContent = text;
        item.dataset.state = kind;
      },
      showError(err, lead) {
        error.replaceChildren();
        if (err instanceof Problem) {
          const code = document.createElement('code');
          code.className = 'error-code';
          code.textContent = err.code;
          const detail = document.createElement('span');
          detail.className = 'error-detail';
          detail.textContent = err.message;
          error.append(lead || `Error ${err.status} `, code, ': ', detail);
        } else {
          error.textContent = String(err && err.message ? err.message : err);
        }
        error.hidden = false;
        item.dataset.state = 'error';
      },
      showSource(job) {
        facts.replaceChildren();
        facts.hidden = !job.source;
        if (job.source) {
          for (const [term, text] of sourceFacts(job.source)) {
            const dt = document.createElement('dt');
            dt.textContent = term;
            const dd = document.createElement('dd');
            dd.textContent = text;
            facts.append(dt, dd);
          }
        }
        const skips = (job.skipped || []).map((s) => `${s.name} (${SKIP_REASONS[s.skipped] || s.skipped})`);
        skipped.textContent = skips.length ? `Not made: ${skips.join(', ')}` : '';
        skipped.hidden = skips.length === 0;
      },
      showResults(job) {
        results.replaceChildren();
        const paint = placeholderPaint(job.placeholder);
        for (const r of job.results || []) {
          const li = document.createElement('li');
          const link = document.createElement('a');
          link.href = r.url;
          link.target = '_blank';
          link.rel = 'noopener';
          const img = document.createElement('img');
          // The placeholder is painted under the image until it has loaded
          // (set through the CSSOM, which the page's CSP allows).
          if (paint.url || paint.colour) {
            img.classList.add('placeholder');
            if (paint.url) img.style.backgroundImage = `url("${paint.url}")`;
            if (paint.colour) img.style.backgroundColor = paint.colour;
            img.addEventListener('load', () => {
              img.classList.remove('placeholder');
              img.style.removeProperty('background-image');
              img.style.removeProperty('background-color');
            }, { once: true });
          }
          img.src = r.url;
          img.alt = '';
          img.decoding = 'async';
          if (r.width && r.height) {
            img.width = r.width;
            img.height = r.height;
          }
          const caption = document.createElement('span');
          const format = (r.content_type || '').replace(/^image\//, '').toUpperCase();
          caption.textContent = `${r.name}: ${r.width}×${r.height} ${format}, ${formatBytes(r.bytes || 0)}`;
          link.append(img, caption);
          li.append(link);
          results.append(li);
        }
      },
    };
  }

  // Browsers without a HEIC codec often give .heic files no type.
  function typeByName(name) {
    const ext = String(name || '').toLowerCase().split('.').pop();
    if (ext === 'heic') return 'image/heic';
    if (ext === 'heif' || ext === 'hif') return 'image/heif';
    return 'application/octet-stream';
  }

  async function process(file, view) {
    view.setState('Creating the job', 'creating');
    announce(`${view.name}: creating the job`);
    const created = await api('POST', '/v1/jobs', {
      content_type: file.type || typeByName(file.name),
      content_length: file.size,
      filename: file.name ? file.name.slice(0, 255) : undefined,
    });
    view.setState('Uploading', 'uploading');
    announce(`${view.name}: uploading`);
    await upload(created.upload, file, (f) => view.setProgress(f));
    view.setProgress(1);
    const job = await follow(created.id, (j) => {
      view.setState(STATE_TEXT[j.status] || j.status, j.status);
      announce(`${view.name}: ${(STATE_TEXT[j.status] || j.status).toLowerCase()}`);
    });
    if (job.status === 'succeeded') {
      view.showSource(job);
      view.showResults(job);
      const n = (job.results || []).length;
      view.setState(`Done: ${n} result${n === 1 ? '' : 's'}`, 'succeeded');
      announce(`${view.name}: done, ${n} result${n === 1 ? '' : 's'}`);
    } else {
      const err = job.error || { code: job.status, message: STATE_TEXT[job.status] || job.status };
      view.showError(new Problem(0, err.code, err.message), 'Job failed: ');
      view.item.dataset.state = job.status;
      announce(`${view.name}: failed (${err.code})`);
    }
  }

  // A small pool: at most MAX_PARALLEL files are created, uploaded and followed at once.
  const waiting = [];
  let running = 0;

  function pump() {
    while (running < MAX_PARALLEL && waiting.length > 0) {
      const { file, view } = waiting.shift();
      running += 1;
      process(file, view)
        .catch((err) => {
          view.setState('Stopped', 'error');
          view.showError(err);
          announce(`${view.name}: stopped (${err instanceof Problem ? err.code : 'error'})`);
        })
        .finally(() => {
          running -= 1;
          pump();
        });
    }
  }

  function addFiles(fileList) {
    const files = Array.from(fileList || []);
    if (files.length === 0) return;
    if (files.length > MAX_FILES) {
      announce(`Taking the first ${MAX_FILES} of ${files.length} files`);
    }
    for (const file of files.slice(0, MAX_FILES)) {
      waiting.push({ file, view: makeItem(file) });
    }
    pump();
  }

  input.addEventListener('change', () => {
    addFiles(input.files);
    input.value = '';
  });
  form.addEventListener('submit', (e) => e.preventDefault());

  // Dropping files on the zone uploads them; dropping elsewhere must not navigate away.
  for (const type of ['dragenter', 'dragover']) {
    dropZone.addEventListener(type, (e) => {
      e.preventDefault();
      dropZone.classList.add('dragging');
    });
  }
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragging'));
  dropZone.addEventListener('drop', (e) => {
    e.preventDefault();
    dropZone.classList.remove('dragging');
    addFiles(e.dataTransfer && e.dataTransfer.files);
  });
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());

  // The API key lives in this tab's session storage only.
  try {
    keyInput.value = sessionStorage.getItem(KEY_STORAGE) || '';
  } catch (_) { /* storage disabled */ }
  keyInput.addEventListener('change', () => {
    try {
      if (apiKey()) sessionStorage.setItem(KEY_STORAGE, apiKey());
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch (_) { /* storage disabled */ }
  });
  $('forget-key').addEventListener('click', () => {
    keyInput.value = '';
    try { sessionStorage.removeItem(KEY_STORAGE); } catch (_) { /* storage disabled */ }
    announce('API key forgotten');
  });

  document.documentElement.dataset.api = API || 'same-origin';
  announce('Ready: choose or drop images to upload');
})();
