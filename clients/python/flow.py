"""Drives a running pixpipe server through the Python client generated from
openapi.yaml by openapi-python-client: create a job, upload with the returned
headers, long-poll until it succeeds, fetch every result, then check the
ETag/304 path and one typed problem. Exits non-zero on any mismatch.

Env: PIXPIPE_API (base URL), PIXPIPE_PHOTO (a JPEG to upload). The generated
package `pixpipe_client` must be importable (PYTHONPATH).
"""

import os
import sys
from http import HTTPStatus
from pathlib import Path

import httpx
from pixpipe_client import Client
from pixpipe_client.api.jobs import create_job, get_job
from pixpipe_client.models import (
    CreatedJob,
    CreateJobRequest,
    CreateJobRequestContentType,
    Job,
    JobStatus,
    Problem,
)


def check(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"check failed: {what}")


def main() -> None:
    photo_path = Path(os.environ["PIXPIPE_PHOTO"])
    photo = photo_path.read_bytes()
    client = Client(
        base_url=os.environ["PIXPIPE_API"],
        timeout=httpx.Timeout(30.0),
        raise_on_unexpected_status=True,
    )

    # 1. Create the job.
    created = create_job.sync_detailed(
        client=client,
        body=CreateJobRequest(
            content_type=CreateJobRequestContentType.IMAGEJPEG,
            content_length=len(photo),
            filename=photo_path.name,
            preset="standard",
        ),
    )
    job = created.parsed
    if isinstance(job, Problem):
        raise SystemExit(f"createJob: {job.code}: {job.detail}")
    check(created.status_code == HTTPStatus.CREATED, f"createJob answered {created.status_code}")
    check(isinstance(job, CreatedJob), f"createJob parsed as {type(job).__name__}")
    assert isinstance(job, CreatedJob)
    check(job.status == JobStatus.AWAITING_UPLOAD, f"new job is {job.status}")
    print(f"created {job.id}")

    # 2. Upload exactly as instructed: method, URL and headers from the answer.
    put = httpx.request(
        job.upload.method,
        job.upload.url,
        headers=job.upload.headers.additional_properties,
        content=photo,
        timeout=60.0,
    )
    check(put.is_success, f"upload answered {put.status_code}: {put.text}")

    # 3. Long-poll until the job is finished (bounded: 10 waits of up to 20 s).
    current = None
    for _ in range(10):
        got = get_job.sync(str(job.id), client=client, wait=20)
        if isinstance(got, Problem) or got is None:
            raise SystemExit(f"getJob: {got}")
        current = got
        if current.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            break
    check(isinstance(current, Job), "getJob answered a Job")
    assert isinstance(current, Job)
    check(current.status == JobStatus.SUCCEEDED, f"job ended {current.status}: {current.error}")

    # 4. Every result of the standard preset is served with its type and size.
    names = sorted(r.name for r in current.results)
    check(names == ["large", "medium", "thumb"], f"results {names}")
    for result in current.results:
        file = httpx.get(result.url, timeout=30.0)
        check(file.status_code == 200, f"{result.name}: GET answered {file.status_code}")
        served = file.headers.get("content-type")
        check(served == result.content_type, f"{result.name}: served as {served}")
        # The generator renames the `bytes` field to `bytes_` (a Python builtin).
        check(len(file.content) == result.bytes_, f"{result.name}: {len(file.content)} bytes served")
        check(0 < result.width <= 2048 and 0 < result.height <= 2048, f"{result.name}: size")
        print(f"{result.name}: {result.content_type} {result.width}x{result.height} {result.bytes_} B")

    # 5. ETag and If-None-Match: an unchanged job answers 304.
    fresh = get_job.sync_detailed(str(job.id), client=client)
    etag = fresh.headers.get("etag")
    check(etag is not None, "getJob sends an ETag")
    again = get_job.sync_detailed(str(job.id), client=client, if_none_match=etag)
    check(again.status_code == HTTPStatus.NOT_MODIFIED, f"If-None-Match answered {again.status_code}")

    # 6. An error is a typed problem with a stable code. (An unsupported type
    # can no longer be sent: the schema's enum refuses it before the server.)
    refused = create_job.sync_detailed(
        client=client,
        body=CreateJobRequest(
            content_type=CreateJobRequestContentType.IMAGEJPEG, content_length=10**12
        ),
    )
    check(refused.status_code == 413, f"a 1 TB upload answered {refused.status_code}")
    check(isinstance(refused.parsed, Problem), f"parsed as {type(refused.parsed).__name__}")
    assert isinstance(refused.parsed, Problem)
    check(refused.parsed.code == "payload_too_large", f"problem code {refused.parsed.code}")
    check(refused.headers.get("content-type") == "application/problem+json", "problem type")
    missing = get_job.sync("0193a5f2-7c4e-7b1a-9d3e-2f6a8c1b4e5d", client=client)
    check(isinstance(missing, Problem) and missing.code == "job_not_found", f"unknown job: {missing}")

    print("python client: flow ok")


if __name__ == "__main__":
    sys.exit(main())
