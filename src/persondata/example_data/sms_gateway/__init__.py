"""Example company: sms-gateway."""
