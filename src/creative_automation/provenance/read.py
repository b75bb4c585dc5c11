"""Reading and verifying a file's Content Credentials into a typed result."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import c2pa

from creative_automation.errors import AssetError
from creative_automation.provenance.devca import DEV_ORG
from creative_automation.provenance.manifest import SIGNING_ASSERTION
from creative_automation.provenance.model import CREATED, OPENED

# the codes that concern who signed, not whether the file is intact
TRUST_CODES = frozenset({"signingCredential.untrusted"})
READ_SETTINGS: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}


class Validation(StrEnum):
    TRUSTED = "trusted"  # intact, and the signer chains to a trust anchor given
    VALID = "valid"  # intact and correctly signed, by a signer not on the trust list
    INVALID = "invalid"  # tampered with or broken: `failure_codes` say what c2pa found
    ABSENT = "absent"  # no Content Credentials at all


@dataclass(frozen=True)
class Action:
    action: str  # "c2pa.created", "c2pa.resized", ...
    digital_source_type: str | None = None
    software_agent: str | None = None
    description: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Ingredient:
    title: str
    relationship: str  # "parentOf" for the source a creative was made from
    format: str | None
    has_credentials: bool  # the ingredient carried a manifest of its own, kept in the store


@dataclass(frozen=True)
class Credentials:
    """What a file's Content Credentials say, and whether they hold."""

    present: bool
    validation: Validation
    c2pa_state: str | None = None  # "Trusted" | "Valid" | "Invalid", as c2pa reports it
    status_codes: tuple[str, ...] = ()  # every validation_status code c2pa reported
    failure_codes: tuple[str, ...] = ()  # those other than the signer's trust
    signer_trusted: bool = False
    signer: str | None = None  # the signing certificate's common name
    issuer: str | None = None  # its organisation, as c2pa reports it
    development: bool = False  # signed with this platform's development certificate
    title: str | None = None
    claim_generator: str | None = None
    digital_source_type: str | None = None  # of the source: the created/opened action's
    provider: str | None = None
    model: str | None = None
    actions: tuple[Action, ...] = ()
    ingredients: tuple[Ingredient, ...] = ()
    error: str | None = None  # why the manifest could not be read, when it could not

    @property
    def valid(self) -> bool:
        """Intact and correctly signed (trusted or not)."""
        return self.validation in (Validation.TRUSTED, Validation.VALID)


def read_credentials(
    data: bytes, mime: str | None = None, *, trust_anchors_pem: bytes | None = None
) -> Credentials:
    """The Content Credentials of an encoded image (`mime` None: detected from the bytes).

    With `trust_anchors_pem` (e.g. the development CA's root) a signer chaining to one of them
    reads as TRUSTED; otherwise a valid signature by an unlisted signer reads as VALID with
    `signer_trusted` False. Raises AssetError for a file type c2pa cannot read.
    """
    settings: dict[str, Any] = {"verify": dict(READ_SETTINGS["verify"])}
    if trust_anchors_pem is not None:
        settings["verify"]["verify_trust"] = True
        settings["trust"] = {"trust_anchors": trust_anchors_pem.decode()}
    try:
        with (
            c2pa.Context.from_dict(settings) as context,
            c2pa.Reader(mime or "", io.BytesIO(data), None, context) as reader,
        ):
            store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        return Credentials(present=False, validation=Validation.ABSENT)
    except c2pa.C2paError.NotSupported as error:
        raise AssetError(f"cannot read Content Credentials of this file ({error})") from error
    except c2pa.C2paError as error:
        # a manifest store is there but cannot be parsed or verified (e.g. bytes flipped in it)
        return Credentials(present=True, validation=Validation.INVALID, error=str(error))
    return _credentials(store)


def _credentials(store: dict[str, Any]) -> Credentials:
    state = store.get("validation_state")
    codes = tuple(s["code"] for s in store.get("validation_status") or [] if "code" in s)
    failures = tuple(c for c in codes if c not in TRUST_CODES)
    manifest = store.get("manifests", {}).get(store.get("active_manifest"), {})
    signature = manifest.get("signature_info") or {}
    actions = tuple(_action(a) for a in _actions(manifest))
    source = next((a for a in actions if a.action in (CREATED, OPENED)), None)
    signing = _assertion(manifest, SIGNING_ASSERTION) or {}
    generators = manifest.get("claim_generator_info") or [{}]
    if state == "Invalid" or failures:
        validation = Validation.INVALID
    elif state == "Trusted":
        validation = Validation.TRUSTED
    else:
        validation = Validation.VALID
    return Credentials(
        present=True,
        validation=validation,
        c2pa_state=state,
        status_codes=codes,
        failure_codes=failures,
        signer_trusted=state == "Trusted",
        signer=signature.get("common_name"),
        issuer=signature.get("issuer"),
        development=bool(signing.get("development")) or signature.get("issuer") == DEV_ORG,
        title=manifest.get("title"),
        claim_generator=generators[0].get("name"),
        digital_source_type=source.digital_source_type if source else None,
        provider=source.parameters.get("provider") if source else None,
        model=source.parameters.get("model") if source else None,
        actions=actions,
        ingredients=tuple(_ingredient(i) for i in manifest.get("ingredients") or []),
    )


def _actions(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for assertion in manifest.get("assertions") or []:
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            found += assertion.get("data", {}).get("actions") or []
    return found


def _assertion(manifest: Mapping[str, Any], label: str) -> dict[str, Any] | None:
    for assertion in manifest.get("assertions") or []:
        if assertion.get("label") == label and isinstance(assertion.get("data"), dict):
            return dict(assertion["data"])
    return None


def _action(raw: Mapping[str, Any]) -> Action:
    agent = raw.get("softwareAgent")
    if isinstance(agent, Mapping):  # C2PA 2.x: a generator-info object; 1.x: a string
        agent = " ".join(str(agent[k]) for k in ("name", "version") if agent.get(k))
    parameters = raw.get("parameters")
    return Action(
        action=str(raw.get("action")),
        digital_source_type=raw.get("digitalSourceType"),
        software_agent=agent,
        description=raw.get("description"),
        parameters=dict(parameters) if isinstance(parameters, Mapping) else {},
    )


def _ingredient(raw: Mapping[str, Any]) -> Ingredient:
    return Ingredient(
        title=str(raw.get("title", "")),
        relationship=str(raw.get("relationship", "")),
        format=raw.get("format"),
        has_credentials="active_manifest" in raw,
    )
