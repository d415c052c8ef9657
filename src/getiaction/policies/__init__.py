"""Policies: typed PyTorch Lightning wrappers."""
