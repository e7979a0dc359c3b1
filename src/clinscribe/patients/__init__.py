"""Patients: demographics and the MRN unique per tenant."""
