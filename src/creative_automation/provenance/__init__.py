"""Content Credentials (C2PA): every creative says what made it, signed, and can be checked.

    credentials = load_signer(cert, key, data_dir)      # settings CAP_C2PA_CERT / CAP_C2PA_KEY
    signed = sign_image(jpeg_bytes, "image/jpeg", Provenance(...), credentials)
    read_credentials(signed, "image/jpeg")               # -> Credentials(validation=VALID, ...)

A generated source is declared `trainedAlgorithmicMedia` (or `algorithmicMedia` for the offline
`procedural` generator, which learned nothing) with its provider and model; a brand asset is the
parent ingredient; crops, resizes and text/logo overlays are actions. Without a configured
certificate a development CA under the data directory signs, and the manifest says so.
"""

from creative_automation.provenance.certs import (
    SigningCredentials,
    ensure_development_credentials,
    load_signing_credentials,
)
from creative_automation.provenance.manifest import SIGNING_ASSERTION, manifest_definition
from creative_automation.provenance.model import (
    ALGORITHMIC_MEDIA,
    TRAINED_ALGORITHMIC_MEDIA,
    Edit,
    GeneratedSource,
    Provenance,
    ReusedAsset,
)
from creative_automation.provenance.read import (
    Action,
    Credentials,
    Ingredient,
    Validation,
    read_credentials,
)
from creative_automation.provenance.sign import SigningError, load_signer, sign_image

__all__ = [
    "ALGORITHMIC_MEDIA",
    "SIGNING_ASSERTION",
    "TRAINED_ALGORITHMIC_MEDIA",
    "Action",
    "Credentials",
    "Edit",
    "GeneratedSource",
    "Ingredient",
    "Provenance",
    "ReusedAsset",
    "SigningCredentials",
    "SigningError",
    "Validation",
    "ensure_development_credentials",
    "load_signer",
    "load_signing_credentials",
    "manifest_definition",
    "read_credentials",
    "sign_image",
]
