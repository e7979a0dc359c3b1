"""Security controls and their evidence: controls report, backup drill, dependency audit, pack."""
