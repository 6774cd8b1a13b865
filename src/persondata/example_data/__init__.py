"""The five example companies: policy files, synthetic company databases, READMEs."""
