"""The breach register: cases, legal deadlines, affected subjects from the data map, drafts.

Art. 33 (authority within 72 hours), Art. 34 (subjects without undue delay at high risk),
Art. 33(5) (every breach documented), and the reporter receipt/feedback a policy promises.
"""
