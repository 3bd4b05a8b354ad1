"""Test-wide setup: fake AWS credentials, Powertools quiet, moto imported before any code under test.

moto must be imported first so that clients created anywhere later go through its stubs
(getmoto/moto#5564); Powertools reads its switches at import time (#156).
"""

import os

import moto  # noqa: F401  # imported for its side effect on botocore, see above

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "SteppeWireTests",
        "POWERTOOLS_SERVICE_NAME": "tests",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
