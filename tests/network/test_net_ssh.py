"""The SSH prober against OpenSSH sshd on 127.0.0.1 with its own config and host keys;
fingerprints are checked against ``ssh-keygen -lf``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import netservers
from netservers import SshdInstance

from qrisk.model import AssetKind, KeyMaterial, QuantumStatus
from qrisk.scan.detectors.base import Finding
from qrisk.scan.detectors.keys import KeyDetector
from qrisk.scan.engine import asset_from_finding
from qrisk.scan.network import probe
from qrisk.scan.network import ssh as ssh_mod
from qrisk.scan.network.probe import EndpointResult, KeyExchangeClass


def _probe(port: int) -> EndpointResult:
    [res] = probe.probe_endpoints([f"127.0.0.1:{port}/ssh"], timeout_s=5)
    return res


def _of(res: EndpointResult, rule: str) -> list[Finding]:
    return [f for f in res.findings if f.rule_id == rule]


def _keygen_fingerprint(pub: Path) -> tuple[int, str, str]:
    """(bits, SHA256:…, type) as ``ssh-keygen -lf`` prints them."""
    out = subprocess.run([netservers.find_binary("ssh-keygen"), "-lf", str(pub)], capture_output=True, text=True,
                         check=True).stdout.split()
    return int(out[0]), out[1], out[-1].strip("()")


def test_sshd_kex_lists_and_pq_hybrid(sshd: SshdInstance) -> None:
    res = _probe(sshd.ports[0])
    assert res.error is None, res.error
    prof = res.profile
    assert isinstance(prof, ssh_mod.SshProfile)
    assert prof.identification is not None and prof.identification.software.startswith("OpenSSH_")
    assert prof.kex == (
        "sntrup761x25519-sha512@openssh.com",
        "curve25519-sha256",
        "ecdh-sha2-nistp256",
        "diffie-hellman-group-exchange-sha256",
    )
    assert res.key_exchange is KeyExchangeClass.SAFE_HYBRID
    kex = _of(res, probe.RULE_SSH_KEX)
    assert [f.algorithm for f in kex] == list(prof.kex)
    statuses = {f.algorithm: asset_from_finding(f, res.location, "ssh", None).quantum_status for f in kex}
    assert statuses["sntrup761x25519-sha512@openssh.com"] is QuantumStatus.SAFE
    assert statuses["curve25519-sha256"] is QuantumStatus.BROKEN
    assert [f.algorithm for f in _of(res, probe.RULE_SSH_CIPHER)] == [
        "chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr"]
    assert [f.algorithm for f in _of(res, probe.RULE_SSH_MAC)] == ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512"]
    assert set(prof.kexinit.host_key) == {"ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"}  # type: ignore[union-attr]
    [proto] = _of(res, probe.RULE_SSH_PROTOCOL)
    assert proto.kind is AssetKind.PROTOCOL and proto.algorithm == "SSH" and proto.version == "2.0"
    # 1 connection for KEXINIT (+ the first host key), 1 more per further host-key type.
    assert res.connections == 3


def test_sshd_host_keys_match_ssh_keygen(sshd: SshdInstance) -> None:
    res = _probe(sshd.ports[0])
    keys = {f.snippet.split()[0]: f for f in _of(res, probe.RULE_SSH_HOSTKEY)}
    assert set(keys) == {"ssh-rsa", "ecdsa-sha2-nistp256", "ssh-ed25519"}
    expected = {"ssh-rsa": ("rsa", "RSA"), "ecdsa-sha2-nistp256": ("ecdsa", "ECDSA-P256"),
                "ssh-ed25519": ("ed25519", "Ed25519")}
    for key_type, (kind, algorithm) in expected.items():
        f = keys[key_type]
        bits, fingerprint, _ = _keygen_fingerprint(sshd.host_keys[kind])
        assert f.kind is AssetKind.KEY and f.key_material is KeyMaterial.PUBLIC
        assert f.algorithm == algorithm and f.key_size == bits
        assert fingerprint in f.notes
        assert f.fingerprint_sha256 and len(f.fingerprint_sha256) == 64
    assert any("rsa-sha2-512" in n and "rsa-sha2-256" in n for n in keys["ssh-rsa"].notes)


def test_host_key_from_endpoint_merges_with_its_pub_file(sshd: SshdInstance) -> None:
    res = _probe(sshd.ports[0])
    [ed] = [f for f in _of(res, probe.RULE_SSH_HOSTKEY) if f.algorithm == "Ed25519"]
    pub = sshd.host_keys["ed25519"]
    [from_file] = [f for f in KeyDetector().detect(pub.name, pub.read_bytes()) if isinstance(f, Finding)]
    assert ed.fingerprint_sha256 == from_file.fingerprint_sha256
    a = asset_from_finding(ed, res.location, "ssh", None)
    b = asset_from_finding(from_file, pub.name, "keys", None)
    assert a.asset_id == b.asset_id


def test_group_exchange_only_server(sshd_gex_only: SshdInstance) -> None:
    res = _probe(sshd_gex_only.ports[0])
    assert res.error is None, res.error
    prof = res.profile
    assert isinstance(prof, ssh_mod.SshProfile)
    assert prof.kex == ("diffie-hellman-group-exchange-sha256",)
    assert res.key_exchange is KeyExchangeClass.VULNERABLE
    keys = {f.algorithm for f in _of(res, probe.RULE_SSH_HOSTKEY) if f.fingerprint_sha256}
    assert keys == {"RSA", "Ed25519"}  # fetched through RFC 4419 group exchange
    assert prof.gex_bits is not None and prof.gex_bits >= 2048
    [kex] = _of(res, probe.RULE_SSH_KEX)
    assert kex.key_size == prof.gex_bits


def test_mlkem768x25519_when_this_openssh_has_it(net_tmp: Path) -> None:
    """OpenSSH ≥ 9.9 (Debian 13) offers mlkem768x25519-sha256; Debian 12's 9.2 does not."""
    try:
        ssh = netservers.find_binary("ssh")
        supported = subprocess.run([ssh, "-Q", "kex"], capture_output=True, text=True, check=True).stdout.split()
    except (netservers.Missing, subprocess.CalledProcessError):
        supported = []
    if "mlkem768x25519-sha256" not in supported:
        # This OpenSSH (< 9.9) cannot serve it: check instead that the prober does not invent it
        # on a server offering the other post-quantum hybrid only.
        try:
            with netservers.sshd_server(net_tmp / "sshd-no-mlkem", kex="sntrup761x25519-sha512@openssh.com",
                                        host_key_algorithms="ssh-ed25519") as inst:
                res = _probe(inst.ports[0])
        except netservers.Missing:
            netservers.need("sshd", "apt-get install openssh-server")
            return
        kex_names = [f.algorithm for f in _of(res, probe.RULE_SSH_KEX)]
        assert "mlkem768x25519-sha256" not in kex_names
        assert res.key_exchange is KeyExchangeClass.SAFE_HYBRID
        return
    try:
        with netservers.sshd_server(net_tmp / "sshd-mlkem", kex="mlkem768x25519-sha256,curve25519-sha256",
                                    host_key_algorithms="ssh-ed25519") as inst:
            res = _probe(inst.ports[0])
    except netservers.Missing:
        netservers.need("sshd", "apt-get install openssh-server")
        return
    assert res.key_exchange is KeyExchangeClass.SAFE_HYBRID
    assert _of(res, probe.RULE_SSH_KEX)[0].algorithm == "mlkem768x25519-sha256"
