"""``statusmon agent update``: installs the release the API names, verified against the pinned TUF root.

A separate short-lived process (run daily by a systemd timer): the agent itself never imports this package, so
its memory and CPU stay as they are. The only code it ever installs is what the pinned keys signed.
"""
