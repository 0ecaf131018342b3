"""Writers that render run results: JSON for machines, JUnit for CI, the console for people."""
