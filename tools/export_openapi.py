"""Writes the OpenAPI document of every public route to shared/steppewire/api/openapi.json.

The document is generated here, at build time, and served as a file: generating it inside the
function would cost ~300 ms of cold start (powertools-lambda-python#4372). Its `servers` are the
template's URL outputs (the edge, then the stage), each `${...}` a variable with its default.
"""

import json
import re
import sys
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import Server, ServerVariable
from samtranslator.yaml_helper import yaml_parse

from steppewire.api.resolver import OPENAPI_TITLE, OPENAPI_VERSION, build_resolver
from steppewire.articles.routes import router as articles_router
from steppewire.rates.routes import router as rates_router
from steppewire.search.routes import router as search_router

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "shared" / "steppewire" / "api" / "openapi.json"
SERVER_OUTPUTS = ("ApiEdgeUrl", "ApiUrl")
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


def servers(template: dict[str, Any]) -> list[Server]:
    """`https://${Api}.execute-api.${AWS::Region}.amazonaws.com/${Stage}` → `https://{Api}…/{Stage}`."""
    parameters = template.get("Parameters", {})
    found = []
    for name in SERVER_OUTPUTS:
        output = template["Outputs"][name]
        url = output["Value"]["Fn::Sub"]
        variables = {}
        for placeholder in _PLACEHOLDER.findall(url):
            variable = placeholder.replace("AWS::", "").replace(".", "")
            default = parameters.get(placeholder, {}).get("Default")
            described = f"the template parameter {placeholder}" if default is not None else "set by the deployment"
            variables[variable] = ServerVariable(default=str(default or variable), description=described)
            url = url.replace(f"${{{placeholder}}}", f"{{{variable}}}")
        found.append(Server(url=url, description=f"{output['Description']} Stack output {name}.", variables=variables))
    return found


def openapi_document() -> str:
    app = build_resolver(rates_router, articles_router, search_router)
    template = yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))
    schema = app.get_openapi_json_schema(
        title=OPENAPI_TITLE,
        version=OPENAPI_VERSION,
        description="Official Central Asian exchange rates, articles and search of Steppe Wire.",
        servers=servers(template),
    )
    return json.dumps(json.loads(schema), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    DOCUMENT.write_text(openapi_document(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOCUMENT}\n")
