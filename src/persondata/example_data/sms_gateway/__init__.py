"""Example company: sms_gateway."""
