"""Data: LightningDataModules for robot-learning datasets."""
