"""Drives a running pixpipe server through the Python client generated from
openapi.yaml by openapi-python-client: create a job, upload with the returned
headers, long-poll until it succeeds, check its source facts and placeholder
through the generated models, fetch every result, then check the ETag/304
path and one typed problem. Exits non-zero on any mismatch, and on any variant
the server skipped.

Env: PIXPIPE_API (base URL), PIXPIPE_PHOTO (the repository's
testphotos/rocket.jpg: a 640x427 JPEG tagged Adobe RGB). The generated
package `pixpipe_client` must be importable (PYTHONPATH).
"""

import base64
import binascii
import os
import re
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
    EncoderChoice,
    Fit,
    Format,
    Job,
    JobStatus,
    Placeholder,
    Problem,
    SourceFormat,
    SourceInfo,
    VariantSpec,
)


def check(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"check failed: {what}")


def upload(job: CreatedJob, photo: bytes) -> None:
    """Sends the photo exactly as instructed: method, URL and headers from the answer."""
    put = httpx.request(
        job.upload.method,
        job.upload.url,
        headers=job.upload.headers.additional_properties,
        content=photo,
        timeout=60.0,
    )
    check(put.is_success, f"upload answered {put.status_code}: {put.text}")


def finished(client: Client, job_id: str) -> Job:
    """Long-polls until the job is finished (bounded: 10 waits of up to 20 s)
    and checks that it succeeded with every variant made."""
    current = None
    for _ in range(10):
        got = get_job.sync(job_id, client=client, wait=20)
        if isinstance(got, Problem) or got is None:
            raise SystemExit(f"getJob: {got}")
        current = got
        if current.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            break
    check(isinstance(current, Job), "getJob answered a Job")
    assert isinstance(current, Job)
    check(current.status == JobStatus.SUCCEEDED, f"job ended {current.status}: {current.error}")
    skipped = [f"{s.name} ({s.skipped})" for s in current.skipped]
    check(not skipped, f"job {job_id}: the server skipped {', '.join(skipped)}")
    return current


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

    # 2. Upload; 3. long-poll until the job has succeeded.
    upload(job, photo)
    current = finished(client, str(job.id))

    # 3a. The source as the worker read it: the upright size, the file's
    # bytes, its ICC profile.
    source = current.source
    check(isinstance(source, SourceInfo), f"source parsed as {type(source).__name__}")
    assert isinstance(source, SourceInfo)
    check(source.format_ == SourceFormat.JPEG, f"source format {source.format_}")
    check((source.width, source.height) == (640, 427), f"source {source.width}x{source.height}")
    check(source.bytes_ == len(photo), f"source {source.bytes_} bytes, the file has {len(photo)}")
    check(
        isinstance(source.icc_profile, str) and "Adobe RGB" in source.icc_profile,
        f"ICC profile {source.icc_profile!r}",
    )
    check(source.orientation == 1 and source.frames == 1 and not source.has_alpha, "plain JPEG")
    removed = [str(m) for m in source.metadata_removed]
    print(f"source: {source.format_} {source.width}x{source.height} {source.bytes_} B, "
          f"ICC {source.icc_profile}, removed {removed}")

    # 3b. The placeholder: a ThumbHash (standard base64), a 4x3 BlurHash, the
    # dominant colour.
    placeholder = current.placeholder
    check(isinstance(placeholder, Placeholder), f"placeholder parsed as {type(placeholder).__name__}")
    assert isinstance(placeholder, Placeholder)
    try:
        thumbhash = base64.b64decode(placeholder.thumbhash, validate=True)
    except binascii.Error as e:
        raise SystemExit(f"check failed: thumbhash {placeholder.thumbhash!r}: {e}") from e
    check(len(thumbhash) >= 5, f"thumbhash {placeholder.thumbhash!r}")
    blurhash = placeholder.blurhash
    check((blurhash.components_x, blurhash.components_y) == (4, 3), f"blurhash {blurhash}")
    check(len(blurhash.hash_) == 28, f"blurhash {blurhash.hash_!r}")
    check(
        re.fullmatch(r"#[0-9a-f]{6}", placeholder.dominant_color) is not None,
        f"dominant colour {placeholder.dominant_color!r}",
    )
    print(f"placeholder: {placeholder.dominant_color} thumbhash {placeholder.thumbhash} "
          f"blurhash {blurhash.hash_}")

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

    # 4a. A custom AVIF variant: encoded by rav1e at the speed the server chose.
    created = create_job.sync_detailed(
        client=client,
        body=CreateJobRequest(
            content_type=CreateJobRequestContentType.IMAGEJPEG,
            content_length=len(photo),
            filename=photo_path.name,
            variants=[
                VariantSpec(name="small", width=320, height=320, fit=Fit.INSIDE, format_=Format.AVIF)
            ],
        ),
    )
    check(isinstance(created.parsed, CreatedJob), f"createJob avif: {created.parsed}")
    assert isinstance(created.parsed, CreatedJob)
    upload(created.parsed, photo)
    avif = finished(client, str(created.parsed.id))
    check([r.name for r in avif.results] == ["small"], f"avif results {avif.results}")
    small = avif.results[0]
    check(small.content_type == "image/avif", f"small: {small.content_type}")
    check((small.width, small.height) == (320, 214), f"small: {small.width}x{small.height}")
    encoder = small.encoder
    check(isinstance(encoder, EncoderChoice), f"small: encoder {encoder}")
    assert isinstance(encoder, EncoderChoice)
    check(encoder.name == "rav1e" and 1 <= encoder.speed <= 10, f"small: encoder {encoder}")
    file = httpx.get(small.url, timeout=30.0)
    check(file.headers.get("content-type") == "image/avif", f"small: served as {file.headers}")
    check(len(file.content) == small.bytes_ and file.content[4:12] == b"ftypavif", "small: AVIF file")
    print(f"small: image/avif {small.width}x{small.height} {small.bytes_} B, rav1e speed {encoder.speed}")

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
