"""Fictional data: the demo set (:mod:`seeds.demo`) and the national-scale
generator (:mod:`seeds.national`). Nothing here is real apart from the names and
codes of municipalities."""
