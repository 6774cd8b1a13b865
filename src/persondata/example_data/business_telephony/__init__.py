"""Example company: business-telephony."""
