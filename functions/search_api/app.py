"""API Gateway → GET /search, answered from the inverted index.

The container reads the term directory as it starts, so that its first query plans its reads like the rest.
"""

from botocore.exceptions import BotoCoreError, ClientError

from steppewire.api.resolver import api_handler
from steppewire.observability import logger
from steppewire.search.routes import router
from steppewire.wiring import search_engine

try:
    search_engine().warm_up()
except (BotoCoreError, ClientError):  # not fatal: the first query reads the directory itself, lists whole
    logger.exception("could not read the search term directory at start")

lambda_handler = api_handler(router)
