"""The command line: analyze, models, history."""
