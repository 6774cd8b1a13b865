"""The tamper-evident audit log: every read or change of personal data, hash-chained."""
