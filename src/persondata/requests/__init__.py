"""Subject requests: intake, identity verification, Art. 12(3) deadlines, execution, Art. 19 tasks."""
