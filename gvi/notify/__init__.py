"""The daily digest and what is waiting for a user (issue 21): counts, mail, opt-out."""
