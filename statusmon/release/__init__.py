"""Signed agent releases: Ed25519 keys for TUF's roles (keys.py), a versioned wheelhouse of the agent per
platform (build.py) and a TUF repository that signs them (repository.py). Built on python-tuf and
securesystemslib: no cryptography or metadata format of our own. No Flask, no process imports."""
