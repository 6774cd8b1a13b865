"""Example company: it-house-webshop."""
