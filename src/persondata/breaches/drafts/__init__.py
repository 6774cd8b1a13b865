"""Notification drafts: to the authority (Art. 33(3)) and to the people affected (Art. 34), da/nb/en."""
