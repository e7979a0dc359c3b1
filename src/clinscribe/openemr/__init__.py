"""OpenEMR bridge: a tenant's OpenEMR database as sign-in, record source and note destination."""
