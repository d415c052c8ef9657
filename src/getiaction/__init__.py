"""getiaction: code-generated, fully typed PyTorch Lightning wrappers for every LeRobot policy."""

__version__ = "0.1.0"
