"""Defector cases (avhopparärenden, social-services partition) on both eligibility tracks."""
