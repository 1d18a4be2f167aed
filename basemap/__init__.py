"""The page's fallback base map: street lines cut from the compiled street graph.

Not routing: it draws context under a route when map tiles are unreachable
(the page's /api/v1/streets and the offline HTML map). See `basemap.lines`.
"""

from basemap.lines import StreetLines, grid_bbox

__all__ = ["StreetLines", "grid_bbox"]
