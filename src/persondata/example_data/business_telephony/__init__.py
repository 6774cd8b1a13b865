"""Example company: business_telephony."""
