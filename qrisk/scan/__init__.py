"""Discovery: walk targets, run detectors, and build an :class:`~qrisk.model.Inventory`."""
