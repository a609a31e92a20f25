"""PQC engine: providers (pyca ``cryptography``; liboqs through ``oqs``), algorithm facts,
hybrid combiners and benchmarks.

Importing this package never imports ``oqs``: liboqs is looked for first (see
:mod:`qrisk.pqc.liboqs`), because importing ``oqs`` without it downloads and builds liboqs
and then exits the process.
"""

from __future__ import annotations
