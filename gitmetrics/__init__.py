"""gitmetrics: track test coverage across many repositories, with git as the database."""

__version__ = "0.1.0"
