"""API Gateway → GET /search, answered from the inverted index."""

from steppewire.api.resolver import api_handler
from steppewire.search.routes import router

lambda_handler = api_handler(router)
