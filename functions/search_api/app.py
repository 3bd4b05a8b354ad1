"""API Gateway → GET /search, answered from the inverted index.

The container reads the term directory as it starts, so that its first query plans its reads like the rest.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from steppewire.api.resolver import api_handler
from steppewire.observability import logger
from steppewire.search.routes import router
from steppewire.wiring import search_engine, synonym_source

try:
    search_engine().load_directory()
except (BotoCoreError, ClientError):  # not fatal: the first query reads the directory itself, lists whole
    logger.exception("could not read the search term directory at start")

_answer = api_handler(router)


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Until the engine consults the synonyms itself (issue 11), each request keeps the container's table
    # current: one conditional read a minute at most, never raising (a failed read keeps the last table).
    synonym_source().current()
    return _answer(event, context)
