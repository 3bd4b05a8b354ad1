"""API Gateway → GET /search, answered from the inverted index.

The engine is built as the container starts (`wiring.search_engine` warms it up: the term directory and the
document values), so that its first query plans and reads like the rest.
"""

from steppewire.api.resolver import api_handler
from steppewire.search.routes import router
from steppewire.wiring import search_engine

search_engine()

lambda_handler = api_handler(router)
