"""mockserver: an offline, faithful simulator of IoT network servers' downlink APIs."""

__version__ = "0.1.0"
