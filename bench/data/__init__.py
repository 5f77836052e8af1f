"""The generator's steps, one module per kind of data; bench.generate runs them in order."""
