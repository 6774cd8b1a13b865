"""Example company: it_house_webshop."""
