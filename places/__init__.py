"""Place search: names of streets, stops and facilities in ru, kk and en.

Not routing: it reads the place index the build writes (places.parquet, from
graph_build/places.py) and answers text queries. The web API and the page use
it; routing never does. See `places.index` for how names are matched.
"""

from places.index import PlaceIndex, normalize

__all__ = ["PlaceIndex", "normalize"]
