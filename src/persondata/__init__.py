"""persondata: run a company's privacy policy for real."""

__version__ = "0.1.0"
