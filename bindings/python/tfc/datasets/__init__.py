"""Small data sets for examples: MNIST / Fashion-MNIST from IDX files."""
