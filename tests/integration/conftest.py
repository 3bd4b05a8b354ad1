"""Integration tests run the real handlers through the local stack built from template.yaml, inside moto."""

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from moto import mock_aws

from steppewire.wiring import forget_warm_state
from steppewire_local import LocalStack
from tests.integration import iam_audit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A developer's running local stack (or profile) must not leak into the mocked tests.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


@pytest.fixture
def deploy(aws: None) -> Iterator[Callable[..., LocalStack]]:
    """Deploys the real template.yaml (with parameter overrides, as `sam deploy` takes them).

    Every AWS call a function makes in the test must be one its role in the template allows."""
    stacks: list[LocalStack] = []

    def deploy_template(parameters: Mapping[str, str] | None = None) -> LocalStack:
        forget_warm_state()  # each test is a fresh deployment: no container is warm
        stack = LocalStack.create(ROOT / "template.yaml", parameters=parameters)
        stack.deploy()
        stacks.append(stack)
        return stack

    with iam_audit.recording() as calls:
        yield deploy_template
        for stack in stacks:
            stack.stop()
    forget_warm_state()
    for stack in stacks:
        problems = iam_audit.audit(stack, calls, every_grant_used=False)
        assert not problems, "\n".join(problems)
