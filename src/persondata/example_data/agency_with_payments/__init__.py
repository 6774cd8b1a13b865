"""Example company: agency_with_payments."""
