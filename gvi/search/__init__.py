"""One search box across the records a user may see (codes, groups, case
references, call-ins): each part asks the list service it belongs to, so
scope, permissions and audit are those of the list."""
