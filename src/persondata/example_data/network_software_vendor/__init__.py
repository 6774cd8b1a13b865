"""Example company: network_software_vendor."""
