"""The IETF AI-preferences vocabulary (draft-ietf-aipref-vocab, with its Content-Usage
header and robots.txt rule from draft-ietf-aipref-attach): a structured-field dictionary
such as `train-ai=n, search=y`.

Labels read, and the uses they speak of:

| label | draft | uses |
| --- | --- | --- |
| `train-ai` | current (-07, -08) and earlier | ai_training, ai_generative_training |
| `train-genai` | -02 to -05 | ai_generative_training |
| `ai-use`, `ai-output` | -02 to -05 | ai_inference |
| `all`, `bots` | -02 to -05 (automated processing) | every use |
| `tdm`; `ai`; `genai`; `inference` | -00, -01 | every use; training; generative; inference |
| `search` | every draft | none of ours |

`y` allows and `n` reserves; anything else, an unknown label, parameters and a dictionary
that does not parse say nothing (as the draft's processing algorithm requires). A general
label (`all`, `bots`, `tdm`) is applied first and a specific one overrides it, as the
earlier drafts' hierarchy did."""

import http_sf

from catalog.consent.vocabulary import (
    AI_GENERATIVE_TRAINING,
    AI_INFERENCE,
    ALLOWED,
    RESERVED,
    TRAINING_USES,
    USES,
)

GENERAL_LABELS = {"all": USES, "bots": USES, "tdm": USES}
SPECIFIC_LABELS = {
    "train-ai": TRAINING_USES,
    "ai": TRAINING_USES,
    "train-genai": (AI_GENERATIVE_TRAINING,),
    "genai": (AI_GENERATIVE_TRAINING,),
    "ai-use": (AI_INFERENCE,),
    "ai-output": (AI_INFERENCE,),
    "inference": (AI_INFERENCE,),
}


def usage_preferences(value: str) -> dict[str, str]:
    """What a statement of preference says per use ({} when it does not parse)."""
    try:
        parsed = http_sf.parse(value.encode("ascii"), tltype="dictionary")
    except (http_sf.StructuredFieldError, UnicodeEncodeError, ValueError):
        return {}
    uses: dict[str, str] = {}
    for labels in (GENERAL_LABELS, SPECIFIC_LABELS):
        said: dict[str, set[str]] = {}
        for label, covered in labels.items():
            item = parsed.get(label)
            value = item[0] if isinstance(item, tuple) else None
            if isinstance(value, http_sf.Token) and str(value) in ("y", "n"):
                for use in covered:
                    said.setdefault(use, set()).add(ALLOWED if value == "y" else RESERVED)
        for use, states in said.items():  # among equals, the more restrictive wins
            uses[use] = RESERVED if RESERVED in states else ALLOWED
    return uses
