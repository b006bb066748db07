"""The Status Monitor agent: samples a host every second, spools every sample to disk, pushes batches to the
API.

Only the standard library is imported at start-up; NVML (nvidia-ml-py) is imported by the GPU collector when
it is enabled. The agent executes nothing it receives: the only thing read from the server's replies is the
``report_interval`` hint (a bounded number) and ``Retry-After``.
"""
