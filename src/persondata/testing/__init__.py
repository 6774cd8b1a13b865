"""Helpers for tests and benchmarks: throwaway databases on the local services."""
