// Drives a running pixpipe server through the TypeScript client generated from
// openapi.yaml (openapi-typescript types + openapi-fetch): create a job, upload
// with the returned headers, long-poll until it succeeds, fetch every result,
// then check the ETag/304 path and one typed problem. Exits non-zero on any
// mismatch. Env: PIXPIPE_API (base URL), PIXPIPE_PHOTO (a JPEG to upload).

import { readFileSync } from "node:fs";
import { basename } from "node:path";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/pixpipe.js";

type Job = components["schemas"]["Job"];
type Problem = components["schemas"]["Problem"];

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
const put = await fetch(job.upload.url, {
  method: job.upload.method,
  headers: job.upload.headers,
  body: photo,
  signal: AbortSignal.timeout(60_000),
});
check(put.ok, `upload answered ${put.status}: ${await put.text()}`);

// 3. Long-poll until the job is finished (bounded: 10 waits of up to 20 s).
let current: Job | undefined;
for (let round = 0; round < 10; round++) {
  const got = await api.GET("/v1/jobs/{id}", {
    params: { path: { id: job.id }, query: { wait: 20 } },
  });
  if (got.error) throw new Error(`getJob: ${got.error.code}: ${got.error.detail}`);
  current = got.data;
  if (current.status === "succeeded" || current.status === "failed") break;
}
check(current !== undefined, "getJob answered");
check(current.status === "succeeded", `job ended ${current.status}: ${JSON.stringify(current.error)}`);

// 4. Every result of the standard preset is served with its type and size.
const names = current.results.map((r) => r.name).sort();
check(JSON.stringify(names) === JSON.stringify(["large", "medium", "thumb"]), `results ${names}`);
for (const result of current.results) {
  const file = await fetch(result.url, { signal: AbortSignal.timeout(30_000) });
  check(file.status === 200, `${result.name}: GET answered ${file.status}`);
  const type = file.headers.get("content-type");
  check(type === result.content_type, `${result.name}: served as ${type}, listed ${result.content_type}`);
  const bytes = (await file.arrayBuffer()).byteLength;
  check(bytes === result.bytes, `${result.name}: ${bytes} bytes served, ${result.bytes} listed`);
  check(result.width > 0 && result.height > 0 && result.width <= 2048, `${result.name}: size`);
  console.log(`${result.name}: ${result.content_type} ${result.width}x${result.height} ${bytes} B`);
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
