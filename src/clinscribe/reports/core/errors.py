"""Why a Client Health Report cannot be drafted: each a 4xx with its own code."""

from __future__ import annotations

from clinscribe.errors import ClinscribeError


class NothingToReportError(ClinscribeError):
    """The patient has no ready documents, so a report would have nothing to cite."""

    status_code = 409
    code = "report_no_ready_documents"
