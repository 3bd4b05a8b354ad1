"""API Gateway → rates ticker, history and the OpenAPI document."""

from steppewire.api.resolver import api_handler
from steppewire.rates.routes import router

lambda_handler = api_handler(router)
