"""Patients and encounters: the tenant's records that everything else hangs off."""
