"""Administration: user accounts, the audit trail's views and alerts, for the admin role.

Admins manage who may sign in and watch how the system is used; they never read
case content or identities (architecture §4.1). Person codes are the most they see.
"""
