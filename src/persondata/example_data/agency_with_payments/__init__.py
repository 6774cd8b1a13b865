"""Example company: agency-with-payments."""
