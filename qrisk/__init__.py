"""qrisk: get an estate ready for quantum computers.

Discover cryptography (scan), assess harvest-now-decrypt-later and forgery risk
(assess), plan hybrid PQC / QKD+PQC migrations (plan) and report (report).
"""

__version__ = "0.1.0"
