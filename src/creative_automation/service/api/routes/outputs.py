"""A campaign's outputs: its creatives with findings, one file, or everything as a zip."""

from __future__ import annotations

import errno
import mimetypes
import tempfile
import zipfile
from collections.abc import Iterator
from typing import IO, Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import StreamingResponse

from ....errors import NotFound, NotReady, OutputError
from ..deps import ApiContext, Context, ReadableCampaign
from ..schemas import CreativeList, creative, problem_responses

router = APIRouter(
    prefix="/v1/campaigns",
    tags=["outputs"],
    responses=problem_responses(401, 403, 404, 409, 422, 429, 503),
)
CHUNK = 256 * 1024
SPOOL = 8 * 2**20  # archives up to this size stay in memory; larger ones go to a temp file
STORED = (".jpg", ".jpeg", ".png", ".webp")  # already compressed: deflating them is wasted CPU
# outputs are ours, but report.html quotes the brief: served so it can never run a script
NO_SUCH_FILE = {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG, errno.EINVAL}
HTML_POLICY = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"


@router.get("/{campaign_id}/creatives", response_model=CreativeList)
def list_creatives(request: Request, context: Context, campaign: ReadableCampaign) -> CreativeList:
    """Every checkpointed creative with its compliance findings, its latest review (null:
    awaiting one) and download URL."""

    def url_for(name: str, **params: str) -> str:
        return str(request.url_for(name, **params))

    store = context.service.store
    reviews = {r.key: r for r in store.reviews(campaign.id)}  # one query for them all
    items = [creative(c, url_for, reviews.get(c.key)) for c in store.creatives(campaign.id)]
    return CreativeList(campaign_id=campaign.id, items=items)


@router.get(
    "/{campaign_id}/files/{path:path}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "text/html": {}}}},
)
def download_file(
    context: Context,
    campaign: ReadableCampaign,
    path: Annotated[str, Path(max_length=1024, description="Relative to the campaign folder.")],
) -> Response:
    """One output file (a creative, manifest.json, report.html); nothing outside the folder."""
    data = _read(context, campaign.id, path)
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    headers = {"X-Content-Type-Options": "nosniff"}
    if kind == "text/html":
        headers["Content-Security-Policy"] = HTML_POLICY
    return Response(data, media_type=kind, headers=headers)


@router.get(
    "/{campaign_id}/archive",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
def download_archive(context: Context, campaign: ReadableCampaign) -> StreamingResponse:
    """Every output file (creatives, manifest.json, report.html) as one zip; 409 before the
    campaign has published its outputs."""
    files = context.service.files
    if not files.exists(campaign.id):
        raise NotReady(f"campaign {campaign.id} is {campaign.state} and has no outputs yet")
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115
    try:
        with zipfile.ZipFile(spool, "w") as archive:
            for relpath in files.files(campaign.id):
                method = (
                    zipfile.ZIP_STORED if relpath.lower().endswith(STORED) else zipfile.ZIP_DEFLATED
                )
                archive.writestr(relpath, files.read(campaign.id, relpath), compress_type=method)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    name = f"{campaign.brief_campaign_id or 'campaign'}-{campaign.id}.zip"
    return StreamingResponse(
        _chunks(spool),
        media_type="application/zip",
        headers={
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


def _read(context: ApiContext, campaign_id: str, path: str) -> bytes:
    """One output file; NotFound for anything outside the folder or that no file can be
    (a name too long, a path through a file), OutputError when the store itself fails."""
    try:
        return context.service.files.read(campaign_id, path)
    except OSError as exc:
        if exc.errno in NO_SUCH_FILE:
            raise NotFound(f"campaign {campaign_id} has no file {path!r}") from None
        raise OutputError(f"cannot read {path!r} of campaign {campaign_id}: {exc}") from None


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := spool.read(CHUNK):
            yield chunk
    finally:
        spool.close()
