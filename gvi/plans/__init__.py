"""A defector case's plan: its items (goal, responsible party, method, dates),
the SIP with the region, goal ratings at each follow-up, and its approval by a
unit lead (README: Case plan and SIP)."""
