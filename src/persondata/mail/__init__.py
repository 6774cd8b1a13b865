"""Outgoing letters and e-mail: templates in da, nb and en, an outbox, and an SMTP sender."""
