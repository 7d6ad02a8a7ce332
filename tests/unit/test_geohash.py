"""The geohash math (storage/geohash.py) and the partial sort GEORADIUS uses: known values from Redis's
documentation, round trips, neighbour boxes, and the property that makes searches complete (every point
inside a search shape lies in one of the boxes searched)."""

import math
import random

import pytest

from redislite.commands.geo import compare_distances
from redislite.storage import geohash
from redislite.storage.geohash import Hash, Shape
from redislite.storage.pqsort import pqsort

PALERMO = (13.361389, 38.115556)
CATANIA = (15.087269, 37.502669)


def test_scores_of_the_documentation_example():
    assert geohash.position_to_score(*PALERMO) == 3479099956230698
    assert geohash.position_to_score(*CATANIA) == 3479447370796909


def test_decoding_gives_the_cell_centre_geopos_shows():
    assert geohash.score_to_position(3479099956230698) == (13.361389338970184, 38.1155563954963)


def test_standard_geohash_strings_of_the_documentation_example():
    assert geohash.standard_geohash(*geohash.score_to_position(3479099956230698)) == b"sqc8b49rny0"
    assert geohash.standard_geohash(*geohash.score_to_position(3479447370796909)) == b"sqdtr74hyu0"


def test_distance_of_the_documentation_example():
    palermo = geohash.score_to_position(3479099956230698)
    catania = geohash.score_to_position(3479447370796909)
    assert b"%.4f" % geohash.distance(*palermo, *catania) == b"166274.1516"


@pytest.mark.parametrize("seed", range(5))
def test_encode_decode_round_trip_stays_within_one_cell(seed):
    rng = random.Random(seed)
    for _ in range(500):
        lon, lat = rng.uniform(-180, 180), rng.uniform(geohash.LAT_MIN, geohash.LAT_MAX)
        area = geohash.decode(geohash.encode(lon, lat))
        assert area.long_min <= lon <= area.long_max and area.lat_min <= lat <= area.lat_max
        back = geohash.score_to_position(geohash.position_to_score(lon, lat))
        assert abs(back[0] - lon) < 1e-5 and abs(back[1] - lat) < 1e-5


def test_the_limits_are_clamped_when_decoded():
    score = geohash.position_to_score(180.0, geohash.LAT_MAX)
    assert score == 3 << 52  # one past the last cell in both coordinates, as Redis stores it
    assert geohash.score_to_position(score) == (180.0, geohash.LAT_MAX)


def test_scores_are_cast_to_unsigned_as_x86_64_c_code_does():
    assert geohash.score_bits(-5.0) == 2**64 - 5
    assert geohash.score_bits(1e20) == 0
    assert geohash.score_bits(float("inf")) == 0
    assert geohash.score_bits(float("-inf")) == 2**63
    assert geohash.score_bits(2.0**63 + 2048) == 2**63 + 2048


def test_moving_east_then_west_comes_back_and_wraps_at_the_antimeridian():
    for step in (1, 5, 26):
        cell = geohash.encode(12.5, -40.0, step)
        assert geohash._move_x(geohash._move_x(cell, 1), -1) == cell
        assert geohash._move_y(geohash._move_y(cell, -1), 1) == cell
    easternmost = geohash.encode(179.9999, 0.0, 10)
    west_edge = geohash.decode(geohash._move_x(easternmost, 1))
    assert west_edge.long_min == -180.0


def test_neighbours_touch_the_centre_box():
    centre = geohash.encode(2.35, 48.85, 12)
    area = geohash.decode(centre)
    north = geohash.decode(geohash._move_y(centre, 1))
    east = geohash.decode(geohash._move_x(centre, 1))
    assert north.lat_min == area.lat_max and north.long_min == area.long_min
    assert east.long_min == area.long_max and east.lat_min == area.lat_min


def test_estimated_steps():
    assert geohash.estimate_steps(0, 0) == 26
    assert geohash.estimate_steps(1, 0) == 24  # 2**25 m passes the Mercator width, less the 2 spared
    assert geohash.estimate_steps(10_000_000, 0) == 1
    assert geohash.estimate_steps(1000, 70) == geohash.estimate_steps(1000, 0) - 1
    assert geohash.estimate_steps(1000, -81) == geohash.estimate_steps(1000, 0) - 2


@pytest.mark.parametrize("seed", range(6))
def test_every_point_inside_a_shape_is_in_a_searched_box(seed):
    rng = random.Random(seed)
    for _ in range(200):
        lon, lat = rng.uniform(-180, 180), rng.uniform(-84, 84)
        meters = rng.choice([10, 500, 20000, 300000, 3000000]) * rng.uniform(0.5, 2)
        box = rng.random() < 0.5
        shape = Shape(lon, lat, 1.0, radius=meters, width=meters * 2, height=meters * 1.5, box=box)
        ranges = [geohash.score_range(cell) for cell in geohash.search_boxes(shape) if cell != geohash.ZERO]
        for _ in range(20):
            # a point at a random bearing and distance, kept when the shape holds it
            angle, bearing = rng.uniform(0, meters) / geohash.EARTH_RADIUS_IN_METERS, rng.uniform(0, 2 * math.pi)
            lat1, lon1 = math.radians(lat), math.radians(lon)
            lat2 = math.asin(math.sin(lat1) * math.cos(angle) + math.cos(lat1) * math.sin(angle) * math.cos(bearing))
            lon2 = lon1 + math.atan2(
                math.sin(bearing) * math.sin(angle) * math.cos(lat1), math.cos(angle) - math.sin(lat1) * math.sin(lat2)
            )
            plon = (math.degrees(lon2) + 540) % 360 - 180
            plat = math.degrees(lat2)
            if not geohash.LAT_MIN <= plat <= geohash.LAT_MAX:
                continue
            score = geohash.position_to_score(plon, plat)
            if shape.distance_if_inside(*geohash.score_to_position(score)) is None:
                continue
            assert any(low <= score < high for low, high in ranges), (lon, lat, meters, box, plon, plat)


def test_a_box_covers_the_scores_of_its_cells():
    cell = Hash(0b1011, 2)
    low, high = geohash.score_range(cell)
    assert (low, high) == (0b1011 << 48, 0b1100 << 48)


@pytest.mark.parametrize("seed", range(20))
def test_partial_sort_puts_the_first_count_in_order(seed):
    rng = random.Random(seed)
    items = [(rng.choice([1.0, 2.0, 3.0, rng.random()]), i) for i in range(rng.randint(1, 120))]
    count = rng.randint(1, len(items))
    expected = sorted(key for key, _ in items)[:count]
    pqsort(items, lambda a, b: compare_distances(a[0], b[0]), 0, count - 1)
    assert [key for key, _ in items[:count]] == expected
    assert sorted(index for _, index in items) == list(range(len(items)))
