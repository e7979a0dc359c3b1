"""The pure part of the OpenEMR bridge: password hashes, the schema it needs, URLs."""
