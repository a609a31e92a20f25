"""Fixtures for the KME tests: KMEs on free loopback ports with a demo PKI (see kmehelp.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kmehelp import KmePki, make_test_pki, network_config

from qrisk.qkd.kme import build_network
from qrisk.qkd.kme_server import KmeCluster


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> KmePki:
    return make_test_pki(tmp_path_factory.mktemp("kme-pki"))


@pytest.fixture
def start_kmes(pki: KmePki) -> Iterator[Callable[..., KmeCluster]]:
    """Factory: start a KME pair with network_config(**options); stopped after the test."""
    with contextlib.ExitStack() as stack:

        def start(**options: Any) -> KmeCluster:
            return stack.enter_context(KmeCluster(build_network(network_config(pki, **options))))

        yield start


@pytest.fixture(scope="module")
def strict_kmes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KmeCluster, KmePki]]:
    """One strict KME pair shared by a module (pools large enough for every test in it)."""
    tp = make_test_pki(tmp_path_factory.mktemp("kme-pki-mod"))
    with KmeCluster(build_network(network_config(tp))) as cluster:
        yield cluster, tp
