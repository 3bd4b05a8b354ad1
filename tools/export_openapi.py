"""Writes the OpenAPI document of every public route to shared/steppewire/api/openapi.json.

The document is generated here, at build time, and served as a file: generating it inside the
function would cost ~300 ms of cold start (powertools-lambda-python#4372).
"""

import json
import sys
from pathlib import Path

from steppewire.api.resolver import OPENAPI_TITLE, OPENAPI_VERSION, build_resolver
from steppewire.articles.routes import router as articles_router
from steppewire.rates.routes import router as rates_router
from steppewire.search.routes import router as search_router

DOCUMENT = Path(__file__).resolve().parent.parent / "shared" / "steppewire" / "api" / "openapi.json"


def openapi_document() -> str:
    app = build_resolver(rates_router, articles_router, search_router)
    schema = app.get_openapi_json_schema(
        title=OPENAPI_TITLE,
        version=OPENAPI_VERSION,
        description="Official Central Asian exchange rates, articles and search of Steppe Wire.",
    )
    return json.dumps(json.loads(schema), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    DOCUMENT.write_text(openapi_document(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOCUMENT}\n")
