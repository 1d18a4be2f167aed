"""The `jol` command (build, route, serve, fetch): the top layer, which wires the others.

It lives apart from `jol/` (settings, the artifact contract, city files: the
bottom layer every other package reads) so nothing below can import it.
"""
