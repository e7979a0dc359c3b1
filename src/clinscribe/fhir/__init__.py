"""FHIR R4: mapping, bundles and the EHR client in core/; the delivery outbox and its task."""
