"""Key rotation and sealing of data written before encryption at rest."""
