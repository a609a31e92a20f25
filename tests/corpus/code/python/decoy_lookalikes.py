"""Look-alike identifiers that are not cryptography."""

from dataclasses import dataclass


@dataclass
class Listing:
    description: str
    address: str
    des_cription: str = ""
    rsa_enabled: bool = False
    aes_thetic: str = "minimal"


def md5(value: str) -> str:
    """Not hashlib: a project helper that happens to share the name."""
    return value[::-1]


class sha256:  # noqa: N801 - mimics a library name on purpose
    def __init__(self, data: bytes = b"") -> None:
        self.data = data


def describe(item: Listing) -> str:
    token = md5(item.description)
    shadow = sha256(item.address.encode())
    return f"{item.des_cription} {token} {shadow.data!r}"
