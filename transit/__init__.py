"""Public transport: GTFS feeds compiled to numpy (build, feed, compile) and RAPTOR.

Entry points: `transit.build.build_transit_artifact` (jol build),
`transit.timetable.Timetable.load` and `transit.raptor.search` /
`next_journeys` (the planner). Imports nothing from routing/ or web/.
See docs/transit.md.
"""
