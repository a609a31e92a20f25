"""CycloneDX 1.6 CBOM: every asset a ``cryptographic-asset`` component.

Mapping (CycloneDX 1.6 ``cryptoProperties``):
- kind ``algorithm`` → ``assetType: algorithm`` with ``algorithmProperties``;
- kind ``key`` → ``related-crypto-material`` (type private-key/public-key/secret-key, id =
  public-key fingerprint, size, ``algorithmRef``) — never the key's value;
- kind ``certificate`` → ``certificate`` with subject, issuer, validity,
  ``signatureAlgorithmRef`` and ``subjectPublicKeyRef`` pointing at algorithm components;
- kind ``protocol`` → ``protocol``; kind ``library`` → a ``library`` component.
Algorithm components referenced by keys and certificates are added once each.
``evidence.occurrences[].location`` is the path relative to the scan target (plus ``line``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.bom_ref import BomRef
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.component_evidence import ComponentEvidence
from cyclonedx.model.component_evidence import Occurrence as CdxOccurrence
from cyclonedx.model.crypto import (
    AlgorithmProperties,
    CertificateProperties,
    CryptoAssetType,
    CryptoFunction,
    CryptoPrimitive,
    CryptoProperties,
    ProtocolProperties,
    ProtocolPropertiesType,
    RelatedCryptoMaterialProperties,
    RelatedCryptoMaterialType,
)
from cyclonedx.model.tool import Tool
from cyclonedx.output.json import JsonV1Dot6

from qrisk import catalog
from qrisk.model import Asset, AssetKind, Inventory, KeyMaterial, Usage

_FUNCTIONS: dict[Usage, list[CryptoFunction]] = {
    Usage.SIGNATURE: [CryptoFunction.SIGN, CryptoFunction.VERIFY],
    Usage.KEY_EXCHANGE: [CryptoFunction.KEYGEN, CryptoFunction.ENCAPSULATE, CryptoFunction.DECAPSULATE],
    Usage.ENCRYPTION: [CryptoFunction.ENCRYPT, CryptoFunction.DECRYPT],
    Usage.HASHING: [CryptoFunction.DIGEST],
    Usage.AUTHENTICATION: [CryptoFunction.TAG],
    Usage.KEY_DERIVATION: [CryptoFunction.KEYDERIVE],
    Usage.RANDOM: [CryptoFunction.GENERATE],
    Usage.UNKNOWN: [],
}

_MATERIAL: dict[KeyMaterial, RelatedCryptoMaterialType] = {
    KeyMaterial.PRIVATE: RelatedCryptoMaterialType.PRIVATE_KEY,
    KeyMaterial.PUBLIC: RelatedCryptoMaterialType.PUBLIC_KEY,
    KeyMaterial.SECRET: RelatedCryptoMaterialType.SECRET_KEY,
}


def _algorithm_label(name: str, key_size: int | None, curve: str | None, parameter_set: str | None) -> str:
    if name == "unknown":
        return "unknown"
    if key_size and not curve and not parameter_set and str(key_size) not in name:
        return f"{name}-{key_size}"
    return name


def _cdx_primitive(value: str) -> CryptoPrimitive:
    try:
        return CryptoPrimitive(value)
    except ValueError:
        return CryptoPrimitive.UNKNOWN


class _AlgorithmComponents:
    """Algorithm components shared by keys and certificates, one per distinct parameterisation."""

    def __init__(self) -> None:
        self.components: dict[str, Component] = {}

    def ref(self, name: str, key_size: int | None, curve: str | None, usage: Usage) -> BomRef:
        entry = catalog.algorithms().get(name)
        label = _algorithm_label(name, key_size, curve, entry.parameter_set)
        ref = "alg-" + hashlib.sha256(f"{label}|{curve or ''}".encode()).hexdigest()[:24]
        if ref not in self.components:
            props = AlgorithmProperties(
                primitive=_cdx_primitive(entry.primitive.value),
                parameter_set_identifier=entry.parameter_set or (str(key_size) if key_size else None),
                curve=_cdx_curve(curve),
                crypto_functions=_FUNCTIONS[usage] or None,
                classical_security_level=entry.security_bits_for(key_size),
                nist_quantum_security_level=entry.nist_quantum_level if entry.nist_quantum_level is not None else None,
            )
            self.components[ref] = Component(
                type=ComponentType.CRYPTOGRAPHIC_ASSET,
                name=label,
                bom_ref=ref,
                crypto_properties=CryptoProperties(
                    asset_type=CryptoAssetType.ALGORITHM,
                    algorithm_properties=props,
                    oid=entry.oids[0] if entry.oids else None,
                ),
                properties=[Property(name="qrisk:quantum-status", value=entry.status_for(key_size).value)],
            )
        return BomRef(ref)


def _cdx_curve(curve: str | None) -> str | None:
    # CycloneDX 1.6 takes a free-text curve name; use the SEC / RFC name where one exists.
    if not curve:
        return None
    return {"P-256": "secp256r1", "P-384": "secp384r1", "P-521": "secp521r1"}.get(curve, curve)


def _evidence(asset: Asset) -> ComponentEvidence:
    # Occurrences are ordered by their bom-ref, which is random unless given: give each a
    # stable one so the same inventory always yields the same CBOM.
    return ComponentEvidence(
        occurrences=[
            CdxOccurrence(
                bom_ref=f"{asset.asset_id}#occurrence-{i:06d}",
                location=o.location,
                line=o.line,
                additional_context=f"{o.detector}:{o.rule_id}",
            )
            for i, o in enumerate(asset.occurrences)
        ]
    )


def _properties(asset: Asset) -> list[Property]:
    props = [
        Property(name="qrisk:quantum-status", value=asset.quantum_status.value),
        Property(name="qrisk:usage", value=asset.usage.value),
        Property(name="qrisk:algorithm", value=asset.algorithm),
    ]
    if asset.system:
        props.append(Property(name="qrisk:system", value=asset.system))
    if asset.fingerprint_sha256:
        props.append(Property(name="qrisk:public-key-sha256", value=asset.fingerprint_sha256))
    if asset.encrypted:
        props.append(Property(name="qrisk:encrypted", value="true"))
    for n in asset.notes:
        props.append(Property(name="qrisk:note", value=n))
    return props


def _component(asset: Asset, algs: _AlgorithmComponents) -> Component:
    name = asset.name or _algorithm_label(asset.algorithm, asset.key_size, asset.curve, asset.parameter_set)
    kind = asset.kind
    crypto: CryptoProperties | None
    ctype = ComponentType.CRYPTOGRAPHIC_ASSET
    if kind is AssetKind.ALGORITHM:
        entry = catalog.algorithms().get(asset.algorithm)
        crypto = CryptoProperties(
            asset_type=CryptoAssetType.ALGORITHM,
            algorithm_properties=AlgorithmProperties(
                primitive=_cdx_primitive(asset.primitive.value),
                parameter_set_identifier=asset.parameter_set or (str(asset.key_size) if asset.key_size else None),
                curve=_cdx_curve(asset.curve),
                crypto_functions=_FUNCTIONS[asset.usage] or None,
                classical_security_level=asset.classical_security_bits,
                nist_quantum_security_level=asset.nist_quantum_level,
            ),
            oid=entry.oids[0] if entry.oids else None,
        )
    elif kind is AssetKind.KEY:
        material = _MATERIAL[asset.key_material] if asset.key_material else RelatedCryptoMaterialType.KEY
        crypto = CryptoProperties(
            asset_type=CryptoAssetType.RELATED_CRYPTO_MATERIAL,
            related_crypto_material_properties=RelatedCryptoMaterialProperties(
                type=material,
                id=asset.fingerprint_sha256,
                algorithm_ref=algs.ref(asset.algorithm, asset.key_size, asset.curve, asset.usage),
                size=asset.key_size,
            ),
        )
    elif kind is AssetKind.CERTIFICATE:
        cert = asset.certificate
        crypto = CryptoProperties(
            asset_type=CryptoAssetType.CERTIFICATE,
            certificate_properties=CertificateProperties(
                subject_name=cert.subject if cert else None,
                issuer_name=cert.issuer if cert else None,
                not_valid_before=cert.not_before if cert else None,
                not_valid_after=cert.not_after if cert else None,
                signature_algorithm_ref=algs.ref(cert.signature_algorithm, None, None, Usage.SIGNATURE) if cert else None,
                subject_public_key_ref=algs.ref(asset.algorithm, asset.key_size, asset.curve, asset.usage),
                certificate_format=cert.format if cert else "X.509",
            ),
        )
    elif kind is AssetKind.PROTOCOL:
        try:
            ptype = ProtocolPropertiesType(asset.algorithm.lower())
        except ValueError:
            ptype = ProtocolPropertiesType.UNKNOWN
        crypto = CryptoProperties(
            asset_type=CryptoAssetType.PROTOCOL,
            protocol_properties=ProtocolProperties(type=ptype, version=asset.version),
        )
    elif kind is AssetKind.LIBRARY:
        crypto = None
        ctype = ComponentType.LIBRARY
    else:  # pragma: no cover - exhaustive over AssetKind
        raise AssertionError(kind)
    return Component(
        type=ctype,
        name=name,
        version=asset.version if kind is AssetKind.LIBRARY else None,
        bom_ref=asset.asset_id,
        crypto_properties=crypto,
        evidence=_evidence(asset),
        properties=_properties(asset),
    )


def build_bom(inventory: Inventory) -> Bom:
    """The CycloneDX model of an inventory."""
    algs = _AlgorithmComponents()
    components: list[Component] = [_component(a, algs) for a in inventory.assets]
    metadata = BomMetaData(
        timestamp=inventory.scan.finished,
        properties=[Property(name="qrisk:targets", value=", ".join(inventory.scan.targets))]
        + ([Property(name="qrisk:organisation", value=inventory.scan.organisation)] if inventory.scan.organisation else []),
    )
    metadata.tools.tools.add(Tool(vendor="qrisk", name="qrisk", version=inventory.scan.tool_version or None))
    bom = Bom(metadata=metadata)
    for c in _dedupe(components + list(algs.components.values())):
        bom.components.add(c)
    _index_dependencies(bom)
    return bom


def _index_dependencies(bom: Bom) -> None:
    """Make ``Bom.register_dependency`` constant-time for this BOM.

    cyclonedx-python-lib's ``Bom.validate()`` (run by every output) registers each component
    with a linear search of the dependency list, which is quadratic: ~1 h for 100,000 assets.
    qrisk's components have no dependencies of their own, so registering one is adding an
    empty ``Dependency`` once; an index by bom-ref keeps that linear overall.
    """
    from cyclonedx.model.dependency import Dependency

    index: dict[str, Dependency] = {str(d.ref): d for d in bom.dependencies}

    def register_dependency(target, depends_on=None) -> None:  # type: ignore[no-untyped-def]
        key = str(target.bom_ref)
        dep = index.get(key)
        if dep is None:
            dep = index[key] = Dependency(ref=target.bom_ref)
            bom.dependencies.add(dep)
        for other in depends_on or ():
            dep.dependencies.add(Dependency(ref=other.bom_ref))
            register_dependency(other)

    bom.register_dependency = register_dependency  # type: ignore[method-assign]


def _dedupe(components: Iterable[Component]) -> list[Component]:
    seen: set[str] = set()
    out = []
    for c in components:
        key = str(c.bom_ref)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def format_cbom(inventory: Inventory) -> str:
    """CycloneDX 1.6 JSON text."""
    return JsonV1Dot6(build_bom(inventory)).output_as_string(indent=2)
