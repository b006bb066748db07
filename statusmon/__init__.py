"""Status Monitor: self-hosted monitoring for fleets of Linux and GPU servers."""

__version__ = "0.1.0"
