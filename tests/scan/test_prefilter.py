"""The keyword prefilter: every backend finds exactly what a naive search finds."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk.scan.detectors.base import Detector, DetectorOutput
from qrisk.scan.prefilter import Prefilter


def make(keywords: tuple[bytes, ...]) -> Detector:
    class D(Detector):
        id = "t"
        description = "test"
        rules: ClassVar[dict[str, str]] = {}

        def wants(self, path: str, head: bytes) -> bool:
            return True

        def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
            return ()

    D.keywords = keywords
    return D()


def backends() -> list[str]:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("hyperscan must be installed in CI (x86-64)")
        return ["re"]
    return ["re", "hyperscan"]


KEYWORDS = [(b"rsa", b"keypairgenerator"), (b"aes", b"cipher."), (b"-----begin",), ()]


@pytest.mark.parametrize("backend", backends())
def test_examples(backend: str) -> None:
    pf = Prefilter([make(k) for k in KEYWORDS], backend=backend)
    assert pf.detectors_hit(b"x = Cipher.getInstance('AES')", [0, 1, 2, 3]) == {1, 3}
    assert pf.detectors_hit(b"KeyPairGenerator", [0, 1]) == {0}
    assert pf.detectors_hit(b"", [0, 1, 2]) == set()
    assert pf.detectors_hit(b"-----BEGIN CERT", [1]) == set()


alphabet = st.sampled_from([b"r", b"s", b"a", b"R", b"S", b"A", b"e", b"x", b"-", b"\x00", b"\xff"])


@settings(max_examples=500, deadline=None)
@given(
    words=st.lists(st.lists(st.binary(min_size=1, max_size=3).map(bytes.lower), max_size=3).map(tuple), min_size=1, max_size=4),
    data=st.lists(alphabet, max_size=60).map(b"".join),
)
def test_matches_naive_search(words: list[tuple[bytes, ...]], data: bytes) -> None:
    dets = [make(w) for w in words]
    expected = {i for i, w in enumerate(words) if not w or any(k in data.lower() for k in w)}
    for backend in backends():
        assert Prefilter(dets, backend=backend).detectors_hit(data, range(len(words))) == expected
