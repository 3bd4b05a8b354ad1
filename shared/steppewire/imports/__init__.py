"""WordPress archives moving in: reading exports (the import flow itself is being built, issue 9)."""
