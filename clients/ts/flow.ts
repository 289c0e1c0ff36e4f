// Drives a running pixpipe server through the TypeScript client generated from
// openapi.yaml (openapi-typescript types + openapi-fetch): create a job, upload
// with the returned headers, long-poll until it succeeds, check its source
// facts and placeholder, fetch every result, run a job of the `modern` preset
// (AVIF + WebP) and check its AVIF results, then check the ETag/304 path and
// one typed problem. Exits non-zero on any mismatch, and on any variant the
// server skipped. Env: PIXPIPE_API (base URL), PIXPIPE_PHOTO (the repository's
// testphotos/rocket.jpg: a 640x427 JPEG tagged Adobe RGB).

import { readFileSync } from "node:fs";
import { basename } from "node:path";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/pixpipe.js";

type Job = components["schemas"]["Job"];
type Problem = components["schemas"]["Problem"];
type Placeholder = components["schemas"]["Placeholder"];
type SourceInfo = components["schemas"]["SourceInfo"];
type VariantResult = components["schemas"]["VariantResult"];

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
}

function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

const api = createClient<paths>({ baseUrl: need("PIXPIPE_API") });
const photoPath = need("PIXPIPE_PHOTO");
const photo = readFileSync(photoPath);

// 1. Create the job.
const created = await api.POST("/v1/jobs", {
  body: {
    content_type: "image/jpeg",
    content_length: photo.byteLength,
    filename: basename(photoPath),
    preset: "standard",
  },
});
if (created.error) throw new Error(`createJob: ${created.error.code}: ${created.error.detail}`);
const job = created.data;
check(created.response.status === 201, "createJob answers 201");
check(job.status === "awaiting_upload", `new job is awaiting_upload, not ${job.status}`);
console.log(`created ${job.id}`);

// 2. Upload exactly as instructed: method, URL and headers from the answer.
async function upload(ticket: typeof job.upload): Promise<void> {
  const put = await fetch(ticket.url, {
    method: ticket.method,
    headers: ticket.headers,
    body: photo,
    signal: AbortSignal.timeout(60_000),
  });
  check(put.ok, `upload answered ${put.status}: ${await put.text()}`);
}
await upload(job.upload);

// 3. Long-poll until the job is finished (bounded: 10 waits of up to 20 s);
// a variant the server skipped (the AVIF budget) fails the flow, named.
async function finished(id: string): Promise<Job> {
  let current: Job | undefined;
  for (let round = 0; round < 10; round++) {
    const got = await api.GET("/v1/jobs/{id}", {
      params: { path: { id }, query: { wait: 20 } },
    });
    if (got.error) throw new Error(`getJob: ${got.error.code}: ${got.error.detail}`);
    current = got.data;
    if (current.status === "succeeded" || current.status === "failed") break;
  }
  check(current !== undefined, "getJob answered");
  check(current.status === "succeeded", `job ended ${current.status}: ${JSON.stringify(current.error)}`);
  const skipped = current.skipped.map((s) => `${s.name} (${s.skipped})`);
  check(skipped.length === 0, `job ${id}: the server skipped ${skipped.join(", ")}`);
  return current;
}
const current = await finished(job.id);

// 3a. The source as the worker read it: the upright size, the file's bytes,
// its ICC profile.
const source: SourceInfo | null | undefined = current.source;
check(source != null, "a succeeded job has its source facts");
check(source.format === "jpeg", `source format ${source.format}`);
check(source.width === 640 && source.height === 427, `source ${source.width}x${source.height}`);
check(source.bytes === photo.byteLength, `source ${source.bytes} bytes, the file has ${photo.byteLength}`);
check(source.icc_profile?.includes("Adobe RGB") === true, `ICC profile ${source.icc_profile}`);
check(source.orientation === 1 && source.frames === 1 && !source.has_alpha, "a plain upright JPEG");
console.log(`source: ${source.format} ${source.width}x${source.height} ${source.bytes} B, ` +
  `ICC ${source.icc_profile}, removed [${source.metadata_removed.join(", ")}]`);

// 3b. The placeholder: a ThumbHash (standard base64), a 4x3 BlurHash, the
// dominant colour.
const placeholder: Placeholder | null | undefined = current.placeholder;
check(placeholder != null, "a succeeded job has a placeholder");
check(/^[A-Za-z0-9+/]+={0,2}$/.test(placeholder.thumbhash), `thumbhash ${placeholder.thumbhash}`);
check(Buffer.from(placeholder.thumbhash, "base64").byteLength >= 5, "thumbhash decodes");
const blurhash = placeholder.blurhash;
check(blurhash.components_x === 4 && blurhash.components_y === 3, `blurhash ${JSON.stringify(blurhash)}`);
// A BlurHash of 4x3 components is 4 + 2 * 4 * 3 characters of base 83.
check(blurhash.hash.length === 28, `blurhash ${blurhash.hash}`);
check(/^#[0-9a-f]{6}$/.test(placeholder.dominant_color), `dominant colour ${placeholder.dominant_color}`);
console.log(`placeholder: ${placeholder.dominant_color} thumbhash ${placeholder.thumbhash} blurhash ${blurhash.hash}`);

// 4. Every result of the standard preset is served with its type and size.
async function fetchResult(result: VariantResult): Promise<Uint8Array> {
  const file = await fetch(result.url, { signal: AbortSignal.timeout(30_000) });
  check(file.status === 200, `${result.name}: GET answered ${file.status}`);
  const type = file.headers.get("content-type");
  check(type === result.content_type, `${result.name}: served as ${type}, listed ${result.content_type}`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  check(bytes.byteLength === result.bytes, `${result.name}: ${bytes.byteLength} bytes served, ${result.bytes} listed`);
  check(result.width > 0 && result.height > 0 && result.width <= 2048, `${result.name}: size`);
  console.log(`${result.name}: ${result.content_type} ${result.width}x${result.height} ${bytes.byteLength} B`);
  return bytes;
}
const names = current.results.map((r) => r.name).sort();
check(JSON.stringify(names) === JSON.stringify(["large", "medium", "thumb"]), `results ${names}`);
for (const result of current.results) {
  await fetchResult(result);
  check(result.encoder === null || result.encoder === undefined, `${result.name}: encoder ${JSON.stringify(result.encoder)}`);
}

// 4a. The modern preset: each size as AVIF (encoded by rav1e) and WebP.
const modern = await api.POST("/v1/jobs", {
  body: {
    content_type: "image/jpeg",
    content_length: photo.byteLength,
    filename: basename(photoPath),
    preset: "modern",
  },
});
if (modern.error) throw new Error(`createJob modern: ${modern.error.code}: ${modern.error.detail}`);
await upload(modern.data.upload);
const modernJob = await finished(modern.data.id);
check(modernJob.preset === "modern", `preset ${modernJob.preset}`);
const modernNames = modernJob.results.map((r) => r.name).sort();
const wanted = ["large", "large-avif", "medium", "medium-avif", "thumb", "thumb-avif"];
check(JSON.stringify(modernNames) === JSON.stringify(wanted), `modern results ${modernNames}`);
for (const result of modernJob.results) {
  const bytes = await fetchResult(result);
  if (result.name.endsWith("-avif")) {
    check(result.content_type === "image/avif", `${result.name}: ${result.content_type}`);
    check(result.encoder?.name === "rav1e", `${result.name}: encoder ${JSON.stringify(result.encoder)}`);
    const speed = result.encoder.speed;
    check(Number.isInteger(speed) && speed >= 1 && speed <= 10, `${result.name}: speed ${speed}`);
    // An ISOBMFF file whose brand is avif.
    const brand = Buffer.from(bytes.subarray(4, 12)).toString("latin1");
    check(brand === "ftypavif", `${result.name}: starts with ${JSON.stringify(brand)}`);
    console.log(`${result.name}: rav1e speed ${speed}`);
  } else {
    check(result.content_type === "image/webp", `${result.name}: ${result.content_type}`);
  }
}

// 5. ETag and If-None-Match: an unchanged job answers 304.
const fresh = await api.GET("/v1/jobs/{id}", { params: { path: { id: job.id } } });
const etag = fresh.response.headers.get("etag");
check(etag !== null, "getJob sends an ETag");
const again = await api.GET("/v1/jobs/{id}", {
  params: { path: { id: job.id }, header: { "If-None-Match": etag } },
});
check(again.response.status === 304, `If-None-Match answered ${again.response.status}`);

// 6. An error is a typed problem with a stable code. (An unsupported type can
// no longer be sent: the schema's enum refuses it at compile time.)
const refused = await api.POST("/v1/jobs", {
  body: { content_type: "image/jpeg", content_length: 1e12 },
});
check(refused.data === undefined, "a 1 TB upload is refused");
const problem: Problem | undefined = refused.error;
check(refused.response.status === 413, `a 1 TB upload answered ${refused.response.status}`);
check(problem?.code === "payload_too_large", `problem code ${problem?.code}`);
check(
  refused.response.headers.get("content-type") === "application/problem+json",
  "problems are application/problem+json",
);
const missing = await api.GET("/v1/jobs/{id}", {
  params: { path: { id: "0193a5f2-7c4e-7b1a-9d3e-2f6a8c1b4e5d" } },
});
check(missing.error?.code === "job_not_found", `unknown job gave ${missing.error?.code}`);

console.log("typescript client: flow ok");
