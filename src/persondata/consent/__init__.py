"""The consent ledger (append-only events, derived state), suppression list and unsubscribe tokens."""
