"""The risk stage: Mosca exposure with a probabilistic CRQC arrival, and policy compliance.

``inputs`` builds columns from an inventory once; ``crqc`` holds the arrival distributions;
``mosca`` computes exposure per asset, per system and for the portfolio; ``compliance`` gives
verdicts against the policies in ``qrisk/catalog/policies``; ``formats`` renders them; ``cli``
holds the ``assess``, ``compliance`` and ``mosca`` commands.
"""
