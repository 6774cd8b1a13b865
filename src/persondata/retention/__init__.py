"""Retention: plan and run the deletions the policy promises, holds, opt-outs, deferred erasures."""
