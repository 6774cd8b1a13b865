"""Example company: network-software-vendor."""
