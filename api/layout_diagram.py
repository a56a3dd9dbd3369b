"""A picture of a spatial layout, drawn from the data as inline SVG: the core in the middle,
wings to either side, points on a ring around it, cities along the axis, the belt as a band
below, the port at the bottom; each zone with its places. No map tiles, nothing fetched; the
positions are schematic (the data holds no coordinates), the roles and places are the data's.

The drawing is plain geometry here; the template (`_layout_svg.html`) writes the SVG, so every
label is escaped by Jinja like any other text of the page.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

WIDTH = 800
CENTRE_X, CENTRE_Y = 400, 210
PLACE_LINE = 17  # px between place names under a zone


@dataclass
class Shape:
    zone: str  # zone IRI
    role: str  # local name of its most specific role ("Core", "Wing" …) or ""
    role_iri: str
    kind: str  # "circle", "ellipse", "band" or "box"
    x: float
    y: float
    rx: float
    ry: float
    places: list[str] = field(default_factory=list)

    @property
    def label_y(self) -> float:
        return self.y + 5 if self.kind != "band" else self.y - 4

    @property
    def places_y(self) -> float:
        """Where the list of places starts: under the shape."""
        return self.y + self.ry + 16


@dataclass
class Diagram:
    layout: str
    shapes: list[Shape]
    height: int
    centre: tuple[float, float]

    def links(self) -> list[tuple[float, float, float, float]]:
        """Dashed lines from the core to every other zone (none without a core)."""
        cores = [s for s in self.shapes if s.role == "Core"]
        if not cores:
            return []
        hub = (cores[0].x, cores[0].y)
        return [
            (hub[0], hub[1], s.x, s.y) for s in self.shapes if s.role != "Core" and s.kind != "band"
        ]


def role_name(role_iri: str) -> str:
    """ "Core", "Wing" … from a zone role concept (…/zone-role/core) or class (…#Core)."""
    local = re.split(r"[/#]", role_iri)[-1] if role_iri else ""
    return local[:1].upper() + local[1:]


def draw(layout: str, zones: list) -> Diagram:  # zones: pages.Zone
    """Positions for each zone by its role; unknown roles go on the ring with the points."""
    by_role: dict[str, list] = {}
    for zone in zones:
        role_iri = zone.roles[0] if zone.roles else ""
        by_role.setdefault(role_name(role_iri), []).append((zone, role_iri))
    shapes: list[Shape] = []

    def add(zone, role_iri: str, kind: str, x: float, y: float, rx: float, ry: float) -> None:
        role = role_name(role_iri)
        shapes.append(Shape(zone.iri, role, role_iri, kind, x, y, rx, ry, list(zone.places)))

    cores = by_role.pop("Core", [])
    for i, (zone, role) in enumerate(cores):
        offset = (i - (len(cores) - 1) / 2) * 170
        add(zone, role, "circle", CENTRE_X + offset, CENTRE_Y, 62, 62)
    wings = by_role.pop("Wing", [])
    for i, (zone, role) in enumerate(wings):
        side = -1 if i % 2 == 0 else 1
        add(zone, role, "ellipse", CENTRE_X + side * 270, CENTRE_Y, 95, 48)
    cities = by_role.pop("City", [])
    for i, (zone, role) in enumerate(cities):
        x = WIDTH * (i + 1) / (len(cities) + 1)
        add(zone, role, "circle", x, CENTRE_Y - 40, 58, 58)
    belts = by_role.pop("Belt", [])
    for i, (zone, role) in enumerate(belts):
        add(zone, role, "band", CENTRE_X, CENTRE_Y + 110 + i * 60, 330, 20)
    ports = by_role.pop("Port", [])
    ring = [item for items in by_role.values() for item in items]  # points and the rest
    radius = 200 if cores or wings else 150
    for i, (zone, role) in enumerate(ring):
        angle = -math.pi / 2 + (2 * math.pi * i / max(len(ring), 1)) + math.pi / max(len(ring), 1)
        x = CENTRE_X + radius * 1.45 * math.cos(angle)
        y = CENTRE_Y + radius * 0.75 * math.sin(angle)
        add(zone, role, "circle", x, y, 30, 30)
    base = max((s.y + s.ry for s in shapes), default=CENTRE_Y)
    for i, (zone, role) in enumerate(ports):
        add(zone, role, "box", WIDTH - 130 - i * 200, base + 70, 70, 26)
    top = min((s.y - s.ry for s in shapes), default=CENTRE_Y) - 20
    for shape in shapes:  # no empty band above the drawing
        shape.y -= top
    bottom = max((s.places_y + PLACE_LINE * len(s.places) for s in shapes), default=CENTRE_Y + 100)
    return Diagram(layout, shapes, int(bottom + 20), (CENTRE_X, CENTRE_Y - top))
