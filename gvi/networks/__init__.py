"""The group network (architecture §3.2): the signed, time-aware graph of groups and people.

``graph`` and ``interchange`` are pure (networkx and the standard library only)
so analyses run the same in a request, a background job or a test; services,
figures, controllers and jobs put them to work against the database and the web.
"""
