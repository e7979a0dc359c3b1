"""Why a note cannot be written into OpenEMR: final refusals, each with its own code.

A refusal is never retried: the job goes straight to the dead-letter list with the code first in
its error (`openemr_patient_missing: ...`), and can be replayed once the cause is fixed (the
patient re-linked, the account re-activated). Messages never name a patient.
"""

from __future__ import annotations

from clinscribe.errors import ClinscribeError


class WriteBackRefused(ClinscribeError):
    """The note cannot become an OpenEMR form (retrying cannot help)."""

    status_code = 422
    code = "openemr_write_refused"


class NotLinked(WriteBackRefused):
    """The note's patient or signing clinician has no OpenEMR counterpart."""

    status_code = 422
    code = "openemr_not_linked"


class PatientMissing(WriteBackRefused):
    """The OpenEMR pid the patient is linked to is not in `patient_data`."""

    status_code = 422
    code = "openemr_patient_missing"


class EncounterMissing(WriteBackRefused):
    """The linked OpenEMR encounter does not exist for that patient."""

    status_code = 422
    code = "openemr_encounter_missing"


class AuthorMissing(WriteBackRefused):
    """The signing clinician's OpenEMR account is gone or inactive."""

    status_code = 422
    code = "openemr_author_missing"


class FacilityMissing(WriteBackRefused):
    """The facility configured for new encounters does not exist in OpenEMR."""

    status_code = 422
    code = "openemr_facility_missing"
