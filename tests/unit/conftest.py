"""Unit tests are pure: any attempt to open a network socket fails the test (pytest-socket)."""

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    disable_socket(allow_unix_socket=True)
    try:
        return (yield)
    finally:
        enable_socket()
