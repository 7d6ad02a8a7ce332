"""Geohash math for the GEO commands, as Redis's geohash.c and geohash_helper.c compute it.

A position is stored as a sorted-set score: its longitude and latitude, each scaled to 26 bits over Redis's
ranges (longitude -180..180, latitude -85.05112878..85.05112878, the Web Mercator limits), interleaved into
one 52-bit integer (latitude on the even bits, longitude on the odd ones). A search covers the centre's box
and its eight neighbours at a precision (`step`, bits per coordinate) chosen from the radius, each box being
one contiguous score range. Every float operation follows the C code's order, so results agree to the bit.
"""

import math
from typing import NamedTuple

STEP_MAX = 26  # GEO_STEP_MAX: 52 bits in all
LONG_MIN, LONG_MAX = -180.0, 180.0
LAT_MIN, LAT_MAX = -85.05112878, 85.05112878
EARTH_RADIUS_IN_METERS = 6372797.560856
MERCATOR_MAX = 20037726.37
D_R = math.pi / 180.0
UINT64 = (1 << 64) - 1
EVEN_BITS = 0x5555555555555555
ODD_BITS = 0xAAAAAAAAAAAAAAAA
BASE32 = b"0123456789bcdefghjkmnpqrstuvwxyz"


class Hash(NamedTuple):
    """GeoHashBits: `step` bits per coordinate, interleaved. The zero hash (0, 0) marks a dropped box."""

    bits: int
    step: int


class Area(NamedTuple):
    """GeoHashArea: the box a hash stands for."""

    long_min: float
    long_max: float
    lat_min: float
    lat_max: float


def _spread(value: int) -> int:
    """A 32-bit value's bits moved to the even positions of a 64-bit one."""
    value &= 0xFFFFFFFF
    value = (value | (value << 16)) & 0x0000FFFF0000FFFF
    value = (value | (value << 8)) & 0x00FF00FF00FF00FF
    value = (value | (value << 4)) & 0x0F0F0F0F0F0F0F0F
    value = (value | (value << 2)) & 0x3333333333333333
    return (value | (value << 1)) & 0x5555555555555555


def _squash(value: int) -> int:
    """The even bits of a 64-bit value gathered into a 32-bit one (the inverse of _spread)."""
    value &= 0x5555555555555555
    value = (value | (value >> 1)) & 0x3333333333333333
    value = (value | (value >> 2)) & 0x0F0F0F0F0F0F0F0F
    value = (value | (value >> 4)) & 0x00FF00FF00FF00FF
    value = (value | (value >> 8)) & 0x0000FFFF0000FFFF
    return (value | (value >> 16)) & 0x00000000FFFFFFFF


def encode(
    longitude: float, latitude: float, step: int = STEP_MAX, lat_min: float = LAT_MIN, lat_max: float = LAT_MAX
) -> Hash:
    """geohashEncode; the caller has checked the coordinates (Redis's limits, whatever the latitude range)."""
    lat_offset = (latitude - lat_min) / (lat_max - lat_min) * float(1 << step)
    long_offset = (longitude - LONG_MIN) / (LONG_MAX - LONG_MIN) * float(1 << step)
    return Hash(_spread(int(lat_offset)) | (_spread(int(long_offset)) << 1), step)


def decode(hash_: Hash, lat_min: float = LAT_MIN, lat_max: float = LAT_MAX) -> Area:
    """geohashDecode: the box of a hash."""
    bits, step = hash_
    lat_cell, long_cell = _squash(bits), _squash(bits >> 1)
    cells = float(1 << step)
    lat_scale, long_scale = lat_max - lat_min, LONG_MAX - LONG_MIN
    return Area(
        LONG_MIN + (long_cell * 1.0 / cells) * long_scale,
        LONG_MIN + ((long_cell + 1) * 1.0 / cells) * long_scale,
        lat_min + (lat_cell * 1.0 / cells) * lat_scale,
        lat_min + ((lat_cell + 1) * 1.0 / cells) * lat_scale,
    )


def score_bits(score: float) -> int:
    """C's (uint64_t) cast of a score as x86-64 code does it: below 2**63 a signed conversion (wrapping
    negatives), above it one of score - 2**63 with the top bit flipped; what does not fit gives 2**63 (the
    "integer indefinite"). ZADD can put any score in a geo set, and GEOPOS decodes it all the same."""
    top = 1 << 63
    if score < top:
        return int(score) & UINT64 if score >= -top else top
    rest = score - top
    return (int(rest) if rest < top else top) ^ top


def score_to_position(score: float) -> tuple[float, float]:
    """decodeGeohash: a 52-bit score's (longitude, latitude), its box's centre clamped to Redis's limits."""
    area = decode(Hash(score_bits(score), STEP_MAX))
    longitude = min(max((area.long_min + area.long_max) / 2, LONG_MIN), LONG_MAX)
    latitude = min(max((area.lat_min + area.lat_max) / 2, LAT_MIN), LAT_MAX)
    return longitude, latitude


def position_to_score(longitude: float, latitude: float) -> int:
    """geohashEncodeWGS84 at full precision, aligned to 52 bits: the score GEOADD stores."""
    return encode(longitude, latitude).bits


def standard_geohash(longitude: float, latitude: float) -> bytes:
    """GEOHASH's 11-character string: re-encoded over the standard -90..90 latitude range, the 11th
    character always '0' (52 bits make 10 characters and 2 bits)."""
    bits = encode(longitude, latitude, STEP_MAX, -90.0, 90.0).bits
    return bytes(BASE32[(bits >> (52 - (i + 1) * 5)) & 0x1F] for i in range(10)) + b"0"


# -- distances -----------------------------------------------------------------------------------------------

# libm's answers where Python's math raises: NaN outside the domain (an infinite radius, rounding past 1)


def _sin(x: float) -> float:
    return math.sin(x) if math.isfinite(x) else math.nan


def _cos(x: float) -> float:
    return math.cos(x) if math.isfinite(x) else math.nan


def _asin_sqrt(x: float) -> float:
    return math.asin(math.sqrt(x)) if 0.0 <= x <= 1.0 else math.nan


def lat_distance(lat1: float, lat2: float) -> float:
    """geohashGetLatDistance: the distance along a meridian."""
    return EARTH_RADIUS_IN_METERS * abs(lat2 * D_R - lat1 * D_R)


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """geohashGetDistance: haversine great-circle distance in meters."""
    lon1r, lon2r = lon1 * D_R, lon2 * D_R
    v = _sin((lon2r - lon1r) / 2)
    if v == 0.0:  # the same meridian: Redis skips the trigonometry
        return lat_distance(lat1, lat2)
    lat1r, lat2r = lat1 * D_R, lat2 * D_R
    u = _sin((lat2r - lat1r) / 2)
    a = u * u + _cos(lat1r) * _cos(lat2r) * v * v
    return 2.0 * EARTH_RADIUS_IN_METERS * _asin_sqrt(a)


# -- search areas --------------------------------------------------------------------------------------------


class Shape(NamedTuple):
    """GeoShape: a circle (radius) or a box (width, height) around a centre, sizes in the request's unit."""

    longitude: float
    latitude: float
    conversion: float  # meters per unit
    radius: float = 0.0
    width: float = 0.0
    height: float = 0.0
    box: bool = False

    def distance_if_inside(self, longitude: float, latitude: float) -> float | None:
        """geohashGetDistanceIfInRadiusWGS84 / geohashGetDistanceIfInRectangle: the distance in meters from
        the centre, or None when the point is outside."""
        if self.box:
            if lat_distance(latitude, self.latitude) > self.height * self.conversion / 2:
                return None
            if distance(longitude, latitude, self.longitude, latitude) > self.width * self.conversion / 2:
                return None
            return distance(self.longitude, self.latitude, longitude, latitude)
        meters = distance(self.longitude, self.latitude, longitude, latitude)
        return None if meters > self.radius * self.conversion else meters


def estimate_steps(range_meters: float, latitude: float) -> int:
    """geohashEstimateStepsByRadius: the precision whose boxes are about as wide as the search."""
    if range_meters == 0:
        return 26
    step = 1
    while range_meters < MERCATOR_MAX:
        range_meters *= 2
        step += 1
    step -= 2  # make sure the range is included in most of the base cases
    if latitude > 66 or latitude < -66:  # boxes narrow towards the poles
        step -= 1
        if latitude > 80 or latitude < -80:
            step -= 1
    return min(max(step, 1), 26)


def bounding_box(shape: Shape) -> tuple[float, float, float, float]:
    """geohashBoundingBox: (min longitude, min latitude, max longitude, max latitude) around the shape."""
    longitude, latitude = shape.longitude, shape.latitude
    height = shape.conversion * (shape.height / 2 if shape.box else shape.radius)
    width = shape.conversion * (shape.width / 2 if shape.box else shape.radius)
    lat_delta = height / EARTH_RADIUS_IN_METERS / D_R
    long_delta_top = width / EARTH_RADIUS_IN_METERS / _cos((latitude + lat_delta) * D_R) / D_R
    long_delta_bottom = width / EARTH_RADIUS_IN_METERS / _cos((latitude - lat_delta) * D_R) / D_R
    # the hemispheres narrow in opposite directions, so the wider edge is the one nearer the equator
    long_delta = long_delta_bottom if latitude < 0 else long_delta_top
    return longitude - long_delta, latitude - lat_delta, longitude + long_delta, latitude + lat_delta


def _move_x(hash_: Hash, direction: int) -> Hash:
    """geohash_move_x: one box east (+1) or west (-1), wrapping around."""
    bits, step = hash_
    x, y = bits & ODD_BITS, bits & EVEN_BITS
    zz = EVEN_BITS >> (64 - step * 2)
    x = x + (zz + 1) if direction > 0 else (x | zz) - (zz + 1)
    return Hash(((x & UINT64) & (ODD_BITS >> (64 - step * 2))) | y, step)


def _move_y(hash_: Hash, direction: int) -> Hash:
    """geohash_move_y: one box north (+1) or south (-1)."""
    bits, step = hash_
    x, y = bits & ODD_BITS, bits & EVEN_BITS
    zz = ODD_BITS >> (64 - step * 2)
    y = y + (zz + 1) if direction > 0 else (y | zz) - (zz + 1)
    return Hash(x | ((y & UINT64) & (EVEN_BITS >> (64 - step * 2))), step)


ZERO = Hash(0, 0)


def search_boxes(shape: Shape) -> list[Hash]:
    """geohashCalculateAreasByShapeWGS84 + membersOfAllNeighbors' order: the centre's box, then north,
    south, east, west, north-east, north-west, south-east, south-west; useless neighbours are ZERO."""
    min_lon, min_lat, max_lon, max_lat = bounding_box(shape)
    longitude, latitude = shape.longitude, shape.latitude
    if shape.box:
        radius_meters = math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))
    else:
        radius_meters = shape.radius
    radius_meters *= shape.conversion
    steps = estimate_steps(radius_meters, latitude)
    center = encode(longitude, latitude, steps)
    north, south, east, west = _move_y(center, 1), _move_y(center, -1), _move_x(center, 1), _move_x(center, -1)
    # near an edge of the area the estimated step may be too fine for the neighbours to cover everything
    if steps > 1 and (
        decode(north).lat_max < max_lat
        or decode(south).lat_min > min_lat
        or decode(east).long_max < max_lon
        or decode(west).long_min > min_lon
    ):
        steps -= 1
        center = encode(longitude, latitude, steps)
        north, south, east, west = _move_y(center, 1), _move_y(center, -1), _move_x(center, 1), _move_x(center, -1)
    north_east, north_west = _move_x(north, 1), _move_x(north, -1)
    south_east, south_west = _move_x(south, 1), _move_x(south, -1)
    if steps >= 2:  # drop the neighbours the bounding box does not reach
        area = decode(center)
        if area.lat_min < min_lat:
            south = south_west = south_east = ZERO
        if area.lat_max > max_lat:
            north = north_east = north_west = ZERO
        if area.long_min < min_lon:
            west = south_west = north_west = ZERO
        if area.long_max > max_lon:
            east = south_east = north_east = ZERO
    return [center, north, south, east, west, north_east, north_west, south_east, south_west]


def score_range(hash_: Hash) -> tuple[int, int]:
    """scoresOfGeoHashBox: the box's scores, [min, max)."""
    shift = 52 - hash_.step * 2
    return hash_.bits << shift, (hash_.bits + 1) << shift
