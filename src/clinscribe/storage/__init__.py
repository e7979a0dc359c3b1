"""Blob storage: encrypted blobs, partial resumable uploads, byte streams over pieces."""
