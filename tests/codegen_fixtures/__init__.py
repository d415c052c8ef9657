"""Small dataclasses that exercise every branch of the generator's tables."""
