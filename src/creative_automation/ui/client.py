"""The UI's client of the HTTP API: one method per route it uses, answers parsed into the
API's own response models (one schema per thing), every failure one of two errors.

ApiUnreachable: nothing answers at the URL (or not in time). ApiRefused: the API answered
with its problem+json, whose field problems keep their dotted paths, as the CLI prints them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from ..errors import ApiRefused, ApiUnreachable, Problem
from ..service.api.schemas import (
    AlertList,
    AlertPublic,
    CampaignCreated,
    CampaignPage,
    CampaignPublic,
    CampaignSummary,
    CreativeList,
    DraftedUpdate,
    DraftRequest,
    ProviderList,
    ReviewList,
)
from ..storage import CampaignState

Model = TypeVar("Model", bound=BaseModel)
TIMEOUT = httpx.Timeout(30.0, connect=3.0)  # a down API is said at once, a slow answer waited
MAX_CAMPAIGNS = 500  # the Campaigns page lists at most this many (5 pages of 100)
Upload = tuple[str, bytes]  # (file name as the brief names it, content)


class ApiClient:
    """The API at `base_url`, as the holder of `api_key` (read, write or admin scope)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # who this client is, to key what is cached from it without holding the key itself
        self.identity = hashlib.sha256(f"{self.base_url}\0{api_key or ''}".encode()).hexdigest()
        headers = {"User-Agent": "cap-ui"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=TIMEOUT, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    # --- campaigns -----------------------------------------------------------------------
    def campaigns(self, states: Sequence[CampaignState] = ()) -> list[CampaignSummary]:
        """The key's campaigns, newest first (up to MAX_CAMPAIGNS)."""
        items: list[CampaignSummary] = []
        params: dict[str, Any] = {"limit": 100}
        if states:
            params["state"] = [s.value for s in states]
        while len(items) < MAX_CAMPAIGNS:
            page = self._get(CampaignPage, "/v1/campaigns", params=params)
            items += page.items
            if page.next_cursor is None:
                break
            params["cursor"] = page.next_cursor
        return items

    def campaign(self, campaign_id: str) -> CampaignPublic:
        return self._get(CampaignPublic, f"/v1/campaigns/{campaign_id}")

    def submit(self, brief_name: str, brief: bytes, files: Sequence[Upload]) -> CampaignCreated:
        """Submit a brief (YAML or JSON, by its name) with the files it names, as multipart."""
        kind = "application/json" if brief_name.lower().endswith(".json") else "application/yaml"
        parts: list[tuple[str, tuple[str, bytes, str]]] = [("brief", (brief_name, brief, kind))]
        parts += [("files", (name, data, "application/octet-stream")) for name, data in files]
        return self._parse(CampaignCreated, self._send("POST", "/v1/campaigns", files=parts))

    def retry(self, campaign_id: str) -> CampaignPublic:
        return self._post(CampaignPublic, f"/v1/campaigns/{campaign_id}/retry")

    def cancel(self, campaign_id: str) -> CampaignPublic:
        return self._post(CampaignPublic, f"/v1/campaigns/{campaign_id}/cancel")

    # --- outputs and review --------------------------------------------------------------
    def creatives(self, campaign_id: str) -> CreativeList:
        return self._get(CreativeList, f"/v1/campaigns/{campaign_id}/creatives")

    def file(self, campaign_id: str, path: str) -> bytes:
        """One output file (a creative, manifest.json, report.html)."""
        return self._send("GET", f"/v1/campaigns/{campaign_id}/files/{path}").content

    def archive(self, campaign_id: str) -> bytes:
        """Every output file as one zip."""
        return self._send("GET", f"/v1/campaigns/{campaign_id}/archive").content

    def review(
        self,
        campaign_id: str,
        creatives: Sequence[tuple[str, str, str]],
        *,
        decision: str,
        reviewer: str,
        comment: str = "",
    ) -> ReviewList:
        """Approve or reject these creatives, (product id, aspect ratio, locale) each."""
        body = {
            "decision": decision,
            "reviewer": reviewer,
            "comment": comment,
            "creatives": [
                {"product_id": p, "aspect_ratio": r, "locale": loc} for p, r, loc in creatives
            ],
        }
        return self._post(ReviewList, f"/v1/campaigns/{campaign_id}/reviews", json=body)

    # --- alerts, providers, stakeholder updates ------------------------------------------
    def alerts(self, status: str = "open", campaign_id: str | None = None) -> AlertList:
        params: dict[str, Any] = {"status": status, "limit": 500}
        if campaign_id:
            params["campaign_id"] = campaign_id
        return self._get(AlertList, "/v1/alerts", params=params)

    def acknowledge(self, alert_id: str) -> AlertPublic:
        return self._post(AlertPublic, f"/v1/alerts/{alert_id}/acknowledge")

    def providers(self, hours: int = 24) -> ProviderList:
        return self._get(ProviderList, "/v1/providers", params={"hours": hours})

    def draft(self, campaign_id: str, request: DraftRequest) -> DraftedUpdate:
        body = request.model_dump(mode="json", exclude_none=True)
        return self._post(
            DraftedUpdate, f"/v1/campaigns/{campaign_id}/stakeholder-draft", json=body
        )

    # --- plumbing ------------------------------------------------------------------------
    def _get(self, model: type[Model], path: str, **kwargs: Any) -> Model:
        return self._parse(model, self._send("GET", path, **kwargs))

    def _post(self, model: type[Model], path: str, **kwargs: Any) -> Model:
        return self._parse(model, self._send("POST", path, **kwargs))

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise ApiUnreachable(
                f"the API at {self.base_url} did not answer {method} {path} in time"
            ) from None
        except httpx.TransportError as exc:
            raise ApiUnreachable(
                f"nothing answers at {self.base_url} ({type(exc).__name__}: {exc}); start it "
                "with `cap serve`, or point CAP_API_URL at the running API"
            ) from None
        if response.status_code >= 400:
            raise refusal(response)
        return response

    def _parse(self, model: type[Model], response: httpx.Response) -> Model:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise ApiRefused(
                response.status_code,
                "Unexpected answer",
                f"{response.request.method} {response.request.url.path} answered something "
                f"that is not a {model.__name__}: is CAP_API_URL this platform's API? ({exc})",
                [],
            ) from None


def refusal(response: httpx.Response) -> ApiRefused:
    """The API's error answer as an ApiRefused: its problem+json when it sent one."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = response.text.strip()[:300]
        return ApiRefused(response.status_code, response.reason_phrase or "Error", text, [])
    problems = [
        Problem(str(item.get("path", "")), str(item.get("message", "")))
        for item in body.get("errors") or ()
        if isinstance(item, dict)
    ]
    return ApiRefused(
        int(body.get("status", response.status_code)),
        str(body.get("title", response.reason_phrase or "Error")),
        str(body.get("detail", "")),
        problems,
    )


__all__ = ["ApiClient", "Upload", "refusal"]
