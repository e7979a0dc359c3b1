"""The FHIR R4 read API: read and search over the record, scoped by tenant and SMART scopes."""
