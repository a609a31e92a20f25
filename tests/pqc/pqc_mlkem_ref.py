"""A small, slow, test-only ML-KEM encapsulation (FIPS 203 Algorithms 14, 17) in pure Python.

It exists to check things no provider API exposes: deterministic encapsulation
(``ML-KEM.Encaps_internal(ek, m)``) for the X-Wing and ETSI test vectors, and an
implementation independent of OpenSSL and liboqs whose ciphertexts the providers must
decapsulate. Not constant time; never use outside tests.
"""

from __future__ import annotations

import hashlib

Q = 3329
N = 256
PARAMS = {  # FIPS 203 Table 2: k, eta1, eta2, du, dv
    512: (2, 3, 2, 10, 4),
    768: (3, 2, 2, 10, 4),
    1024: (4, 2, 2, 11, 5),
}


def _bitrev7(i: int) -> int:
    return int(f"{i:07b}"[::-1], 2)


ZETAS = [pow(17, _bitrev7(i), Q) for i in range(128)]  # §4.3
GAMMAS = [pow(17, 2 * _bitrev7(i) + 1, Q) for i in range(128)]  # §4.3.1


def _bits(data: bytes) -> list[int]:
    return [(byte >> j) & 1 for byte in data for j in range(8)]


def byte_encode(f: list[int], d: int) -> bytes:  # Algorithm 5
    bits = [(a >> j) & 1 for a in f for j in range(d)]
    return bytes(sum(bits[8 * i + j] << j for j in range(8)) for i in range(len(bits) // 8))


def byte_decode(data: bytes, d: int) -> list[int]:  # Algorithm 6
    bits = _bits(data)
    m = Q if d == 12 else 1 << d
    return [sum(bits[i * d + j] << j for j in range(d)) % m for i in range(N)]


def compress(x: int, d: int) -> int:  # §4.2.1
    return ((x << d) + Q // 2) // Q % (1 << d)


def decompress(y: int, d: int) -> int:
    return (y * Q + (1 << (d - 1))) >> d


def sample_ntt(seed: bytes) -> list[int]:  # Algorithm 7
    stream = hashlib.shake_128(seed).digest(1344)  # ample: rejection rate is ~19 %
    out: list[int] = []
    pos = 0
    while len(out) < N:
        c0, c1, c2 = stream[pos], stream[pos + 1], stream[pos + 2]
        pos += 3
        d1 = c0 + 256 * (c1 % 16)
        d2 = c1 // 16 + 16 * c2
        if d1 < Q:
            out.append(d1)
        if d2 < Q and len(out) < N:
            out.append(d2)
    return out


def sample_cbd(data: bytes, eta: int) -> list[int]:  # Algorithm 8
    b = _bits(data)
    return [
        (sum(b[2 * i * eta + j] for j in range(eta)) - sum(b[2 * i * eta + eta + j] for j in range(eta))) % Q
        for i in range(N)
    ]


def ntt(f: list[int]) -> list[int]:  # Algorithm 9
    f = list(f)
    i, length = 1, 128
    while length >= 2:
        for start in range(0, N, 2 * length):
            zeta = ZETAS[i]
            i += 1
            for j in range(start, start + length):
                t = zeta * f[j + length] % Q
                f[j + length] = (f[j] - t) % Q
                f[j] = (f[j] + t) % Q
        length //= 2
    return f


def ntt_inv(f: list[int]) -> list[int]:  # Algorithm 10
    f = list(f)
    i, length = 127, 2
    while length <= 128:
        for start in range(0, N, 2 * length):
            zeta = ZETAS[i]
            i -= 1
            for j in range(start, start + length):
                t = f[j]
                f[j] = (t + f[j + length]) % Q
                f[j + length] = zeta * (f[j + length] - t) % Q
        length *= 2
    return [x * 3303 % Q for x in f]


def multiply_ntts(f: list[int], g: list[int]) -> list[int]:  # Algorithms 11, 12
    h = [0] * N
    for i in range(128):
        a0, a1, b0, b1 = f[2 * i], f[2 * i + 1], g[2 * i], g[2 * i + 1]
        h[2 * i] = (a0 * b0 + a1 * b1 * GAMMAS[i]) % Q
        h[2 * i + 1] = (a0 * b1 + a1 * b0) % Q
    return h


def _add(*polys: list[int]) -> list[int]:
    return [sum(c) % Q for c in zip(*polys, strict=True)]


def prf(eta: int, s: bytes, b: int) -> bytes:
    return hashlib.shake_256(s + bytes([b])).digest(64 * eta)


def kpke_encrypt(ek: bytes, m: bytes, r: bytes, bits: int = 768) -> bytes:  # Algorithm 14
    k, eta1, eta2, du, dv = PARAMS[bits]
    t_hat = [byte_decode(ek[384 * i : 384 * (i + 1)], 12) for i in range(k)]
    rho = ek[384 * k :]
    a_hat = [[sample_ntt(rho + bytes([j, i])) for j in range(k)] for i in range(k)]
    n = 0
    y = []
    for _ in range(k):
        y.append(sample_cbd(prf(eta1, r, n), eta1))
        n += 1
    e1 = []
    for _ in range(k):
        e1.append(sample_cbd(prf(eta2, r, n), eta2))
        n += 1
    e2 = sample_cbd(prf(eta2, r, n), eta2)
    y_hat = [ntt(p) for p in y]
    u = []
    for i in range(k):  # u = NTT^-1(A_hat^T o y_hat) + e1
        acc = [0] * N
        for j in range(k):
            acc = _add(acc, multiply_ntts(a_hat[j][i], y_hat[j]))
        u.append(_add(ntt_inv(acc), e1[i]))
    mu = [decompress(b, 1) for b in byte_decode(m, 1)]
    acc = [0] * N
    for j in range(k):
        acc = _add(acc, multiply_ntts(t_hat[j], y_hat[j]))
    v = _add(ntt_inv(acc), e2, mu)
    c1 = b"".join(byte_encode([compress(x, du) for x in p], du) for p in u)
    c2 = byte_encode([compress(x, dv) for x in v], dv)
    return c1 + c2


def encaps_internal(ek: bytes, m: bytes, bits: int = 768) -> tuple[bytes, bytes]:
    """FIPS 203 Algorithm 17: (shared key K, ciphertext c) for randomness m."""
    assert len(m) == 32
    g = hashlib.sha3_512(m + hashlib.sha3_256(ek).digest()).digest()
    key, r = g[:32], g[32:]
    return key, kpke_encrypt(ek, m, r, bits)
