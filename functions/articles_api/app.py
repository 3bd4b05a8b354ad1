"""API Gateway → article listing and single articles."""

from steppewire.api.resolver import api_handler
from steppewire.articles.routes import router

lambda_handler = api_handler(router)
