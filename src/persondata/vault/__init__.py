"""Crypto-shredding vault: per-subject data keys wrapped by a master key; shredding destroys them."""
