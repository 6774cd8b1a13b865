"""The policy file: schema (model), loader with line-numbered problems, checks, taxonomy, retention grammar.

Entry point: `persondata.policy.loader.load_policy(path)`.
"""
