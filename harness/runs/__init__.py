"""The run folder: what a contract or load run leaves behind, its file names, writing and reading it."""
