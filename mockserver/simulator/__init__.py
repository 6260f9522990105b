"""The simulator: every vendor's API over one simulated network, with no I/O and no threads
(see simulator.py). The serving shell (`mockserver.host`, `asgi`, `server`) sits above it."""

from mockserver.simulator.simulator import Simulator

__all__ = ["Simulator"]
