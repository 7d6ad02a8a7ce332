"""Geo commands, differentially: seeded random GEOADD data (clusters around random centres, the latitude limits,
the antimeridian, the equator, re-added members, out-of-range and malformed coordinates) and every search
command with random option mixes (WITHCOORD/WITHDIST/WITHHASH, COUNT [ANY], ASC|DESC, STORE/STOREDIST, every
unit in any case, tiny to world-sized radii and boxes), plus their error cases, go to RedisLite and to a real
redis-server; every reply must be equal byte for byte. Odd seeds speak RESP3 (coordinates are doubles there).

Unsorted search replies are compared as they are: their order is the order of Redis's nine geohash boxes, so
it checks the box arithmetic too. Members of one cluster are placed at least meters apart, so distances do not
tie (Redis's partial quicksort orders ties its own way).
"""

import math
import random

import pytest

from .harness import Builders, compare_replies

SEEDS = range(30)
COMMANDS_PER_SEQUENCE = 150

GEO_KEYS = [b"g0", b"g1", b"g2"]
STORE_KEYS = [b"d0", b"d1", b"g2"]
UNITS = ["m", "km", "ft", "mi", "M", "Km", "FT", "mI"]
LAT_LIMIT = 85.05112878
EDGE_POINTS = [
    (0.0, 0.0),
    (180.0, 0.0),
    (-180.0, 0.0),
    (179.99999, 10.0),
    (-179.99999, 10.0),
    (0.0, LAT_LIMIT),
    (0.0, -LAT_LIMIT),
    (180.0, LAT_LIMIT),
    (-180.0, -LAT_LIMIT),
    (45.0, 85.0),
    (-120.0, -84.9),
    (13.361389, 38.115556),
    (15.087269, 37.502669),
]
BUILDERS = Builders()


class GeoGenerator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.centres = [self.random_point() for _ in range(3)] + [self.rng.choice(EDGE_POINTS)]
        self.members = [b"m%d" % i for i in range(16)] + [b"", b"\x00bin", b"x" * 70]
        self.added: dict[bytes, list[bytes]] = {key: [] for key in GEO_KEYS}  # what GEOADD may have added

    def random_point(self) -> tuple[float, float]:
        return self.rng.uniform(-180, 180), self.rng.uniform(-LAT_LIMIT, LAT_LIMIT)

    def point(self) -> tuple[float, float]:
        """Mostly near a centre (some meters to a few hundred kilometers away), else anywhere or at an edge."""
        roll = self.rng.random()
        if roll < 0.15:
            return self.rng.choice(EDGE_POINTS)
        if roll < 0.3:
            return self.random_point()
        lon, lat = self.rng.choice(self.centres)
        spread = self.rng.choice([0.001, 0.05, 1.0, 4.0])
        lon = max(-180.0, min(180.0, lon + self.rng.uniform(-spread, spread)))
        lat = max(-LAT_LIMIT, min(LAT_LIMIT, lat + self.rng.uniform(-spread, spread)))
        return lon, lat

    def number(self, value: float) -> str:
        return self.rng.choice(["%.6f", "%.10f", "%r", "%.3f"]) % value

    def coordinates(self) -> list[str]:
        if self.rng.random() < 0.04:
            return self.rng.choice(
                [["181", "0"], ["0", "85.06"], ["0", "-90"], ["x", "1"], ["1", ""], ["inf", "0"], ["nan", "0"]]
            )
        lon, lat = self.point() if self.rng.random() < 0.6 else self.rng.choice(self.centres)
        return [self.number(lon), self.number(lat)]

    def key(self) -> bytes:
        return self.rng.choices(GEO_KEYS + [b"str", b"missing"], weights=[6, 4, 2, 1, 1])[0]

    def member(self) -> bytes:
        return self.rng.choice(self.members) if self.rng.random() < 0.95 else b"nosuch"

    def centre_member(self, key: bytes) -> bytes:
        """A member the key probably holds, to search around."""
        added = self.added.get(key)
        return self.rng.choice(added) if added and self.rng.random() < 0.9 else self.member()

    def unit(self) -> str:
        return self.rng.choice(UNITS) if self.rng.random() < 0.97 else self.rng.choice(["yd", "", "meters"])

    def radius(self) -> str:
        roll = self.rng.random()
        if roll < 0.03:
            return self.rng.choice(["-1", "abc", "0", "inf"])
        return self.rng.choice(["%.3f", "%d", "%r"]) % self.rng.choice(
            [0.5, 10, 150, 2000, 50000, 300000, 1500000, 6000000, 20000000, self.rng.uniform(0, 800000)]
        )

    def shared_options(self, store: bool) -> list:
        options: list = []
        if self.rng.random() < 0.5:
            options += self.rng.sample(["WITHCOORD", "WITHDIST", "WITHHASH"], self.rng.randint(1, 3))
        if self.rng.random() < 0.5:
            options += ["COUNT", self.rng.choice(["1", "3", "10", "1000"]) if self.rng.random() < 0.95 else "0"]
            if self.rng.random() < 0.3:
                options.append("ANY")
        elif self.rng.random() < 0.03:
            options.append("ANY")
        if self.rng.random() < 0.6:
            options.append(self.rng.choice(["ASC", "DESC", "asc", "desc"]))
        if store and self.rng.random() < 0.3:
            options += [self.rng.choice(["STORE", "STOREDIST", "store"]), self.rng.choice(STORE_KEYS)]
        return options

    def center(self, key: bytes) -> list:
        if self.rng.random() < 0.5:
            return ["FROMMEMBER", self.centre_member(key)]
        return ["FROMLONLAT", *self.coordinates()]

    def shape(self) -> list:
        if self.rng.random() < 0.5:
            return ["BYRADIUS", self.radius(), self.unit()]
        return ["BYBOX", self.radius(), self.radius(), self.unit()]

    def command(self) -> list:
        return BUILDERS.pick(self.rng)(self)


@BUILDERS.add("geoadd", 6)
def build_geoadd(g: GeoGenerator) -> list:
    options = [option for option in ("NX", "XX", "CH") if g.rng.random() < 0.12]
    key = g.rng.choice(GEO_KEYS) if g.rng.random() < 0.95 else g.key()
    argv: list = ["GEOADD", key, *options]
    for _ in range(g.rng.randint(1, 6)):
        argv += [*g.coordinates(), g.member()]
        if key in g.added:
            g.added[key].append(argv[-1])
    if g.rng.random() < 0.03:
        argv.pop()
    return argv


@BUILDERS.add("geodist", 2)
def build_geodist(g: GeoGenerator) -> list:
    argv = ["GEODIST", g.key(), g.member(), g.member()]
    if g.rng.random() < 0.7:
        argv.append(g.unit())
    if g.rng.random() < 0.03:
        argv.append("extra")
    return argv


@BUILDERS.add("geopos", 1.5)
def build_geopos(g: GeoGenerator) -> list:
    return [g.rng.choice(["GEOPOS", "GEOHASH"]), g.key(), *[g.member() for _ in range(g.rng.randint(0, 4))]]


@BUILDERS.add("georadius", 3)
def build_georadius(g: GeoGenerator) -> list:
    name = g.rng.choice(["GEORADIUS", "GEORADIUS_RO", "georadius"])
    argv = [name, g.key(), *g.coordinates(), g.radius(), g.unit()]
    return argv + g.shared_options(store=name != "GEORADIUS_RO" or g.rng.random() < 0.1)


@BUILDERS.add("georadiusbymember", 3)
def build_georadiusbymember(g: GeoGenerator) -> list:
    name = g.rng.choice(["GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"])
    key = g.key()
    argv = [name, key, g.centre_member(key), g.radius(), g.unit()]
    return argv + g.shared_options(store=name == "GEORADIUSBYMEMBER" or g.rng.random() < 0.1)


def search_arguments(g: GeoGenerator, key: bytes) -> list:
    parts = [g.center(key), g.shape()]
    roll = g.rng.random()
    if roll < 0.03:
        parts.pop(g.rng.randrange(2))
    elif roll < 0.06:
        parts.append(g.rng.choice([g.center(key), g.shape()]))
    elif roll < 0.08:
        parts.append(["BOGUS"])
    g.rng.shuffle(parts)
    return [word for part in parts for word in part]


@BUILDERS.add("geosearch", 4)
def build_geosearch(g: GeoGenerator) -> list:
    key = g.key()
    return ["GEOSEARCH", key, *search_arguments(g, key), *g.shared_options(store=g.rng.random() < 0.05)]


@BUILDERS.add("geosearchstore", 3)
def build_geosearchstore(g: GeoGenerator) -> list:
    options = g.shared_options(store=False)
    if g.rng.random() < 0.9:  # mostly without WITH*, which GEOSEARCHSTORE refuses
        options = [option for option in options if not option.startswith("WITH")]
    if g.rng.random() < 0.4:
        options.insert(g.rng.randint(0, len(options)), "STOREDIST")
    key = g.key()
    return ["GEOSEARCHSTORE", g.rng.choice(STORE_KEYS), key, *search_arguments(g, key), *options]


@BUILDERS.add("other", 0.5)
def build_other(g: GeoGenerator) -> list:
    return g.rng.choice(
        [
            ["SET", b"str", b"v"],
            ["ZADD", g.rng.choice(GEO_KEYS), g.rng.choice(["-5", "1e20", "3.5"]), g.member()],
            ["ZREM", g.rng.choice(GEO_KEYS), g.member()],
            ["DEL", g.rng.choice(STORE_KEYS)],
        ]
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_geo_replies_match_real_redis(clients, seed):
    ours, theirs = clients
    generator = GeoGenerator(seed)
    resp3 = seed % 2 == 1
    hello = ["HELLO", "3" if resp3 else "2"]  # not compared: its map names the server and its id
    commands = [hello]
    # a base of points, so that searches find something from the start
    for key in GEO_KEYS[:2]:
        for _ in range(3):
            commands.append(build_geoadd(generator))
        commands.append(["GEOADD", key, *[word for lon, lat in EDGE_POINTS[:6] for word in (lon, lat, b"e%r" % lon)]])
    commands += [generator.command() for _ in range(COMMANDS_PER_SEQUENCE)]
    keys = GEO_KEYS + STORE_KEYS[:2]
    commands += [["ZRANGE", key, "0", "-1", "WITHSCORES"] for key in keys]
    commands += [["OBJECT", "ENCODING", key] for key in keys] + [["DBSIZE"], ["FLUSHALL"]]
    expected = theirs.pipeline(commands)
    actual = ours.pipeline(commands)
    compare_replies(f"seed {seed}", commands, expected, actual, skip=[hello])


def destination(lon: float, lat: float, meters: float, bearing: float) -> tuple[float, float]:
    """The point `meters` away from (lon, lat) along a bearing, on Redis's spherical earth."""
    angle = meters / 6372797.560856
    lat1, lon1, theta = math.radians(lat), math.radians(lon), math.radians(bearing)
    lat2 = math.asin(math.sin(lat1) * math.cos(angle) + math.cos(lat1) * math.sin(angle) * math.cos(theta))
    lon2 = lon1 + math.atan2(
        math.sin(theta) * math.sin(angle) * math.cos(lat1), math.cos(angle) - math.sin(lat1) * math.sin(lat2)
    )
    lon2 = (math.degrees(lon2) + 540) % 360 - 180
    return lon2, max(-LAT_LIMIT, min(LAT_LIMIT, math.degrees(lat2)))


@pytest.mark.parametrize("seed", range(12))
def test_geo_search_edges_match_real_redis(clients, seed):
    """Rings of points just inside and outside the search's edge, all around centres in both hemispheres,
    near the poles and on the antimeridian: which boxes Redis searches decides who is found, and in what order."""
    ours, theirs = clients
    rng = random.Random(seed)
    commands: list = [["HELLO", "3" if seed % 2 else "2"]]
    for case in range(8):
        lon = rng.choice([rng.uniform(-180, 180), 179.9, -179.9, 0.0])
        lat = rng.choice([rng.uniform(-84, 84), rng.uniform(-84, -60), rng.uniform(60, 84), -30.0, 30.0])
        meters = rng.choice([50, 1000, 30000, 400000, 2500000]) * rng.uniform(0.5, 2)
        points = [
            destination(lon, lat, meters * rng.choice([0.97, 0.995, 1.0, 1.005]), bearing)
            for bearing in range(0, 360, 5)
        ]
        key = b"ring%d" % case
        commands.append(["GEOADD", key, *[word for i, (x, y) in enumerate(points) for word in (x, y, b"p%d" % i)]])
        radius = "%.3f" % (meters / 1000)
        for query in (
            ["GEORADIUS", key, lon, lat, radius, "km"],
            ["GEORADIUS", key, lon, lat, radius, "km", "WITHDIST", "ASC"],
            ["GEOSEARCH", key, "FROMLONLAT", lon, lat, "BYBOX", radius, radius, "km", "WITHCOORD"],
            ["GEOSEARCH", key, "FROMLONLAT", lon, lat, "BYBOX", "%.3f" % (meters / 500), radius, "km", "DESC"],
            ["GEOSEARCH", key, "FROMMEMBER", b"p0", "BYRADIUS", radius, "km", "COUNT", "7"],
            ["GEOSEARCHSTORE", b"out", key, "FROMLONLAT", lon, lat, "BYRADIUS", radius, "km", "STOREDIST"],
            ["ZRANGE", b"out", "0", "-1", "WITHSCORES"],
        ):
            commands.append(query)
    commands.append(["FLUSHALL"])
    expected = theirs.pipeline(commands)
    actual = ours.pipeline(commands)
    compare_replies(f"seed {seed}", commands, expected, actual, skip=[commands[0]])


@pytest.mark.parametrize("protocol", ["2", "3"])
def test_geo_in_scripts_and_transactions_matches_real_redis(clients, protocol):
    """Coordinates reach a script as Lua numbers under RESP3 and as strings under RESP2; GEOADD queued in
    MULTI; the WRONGTYPE and arity errors."""
    ours, theirs = clients
    positions = "return redis.call('GEOPOS', KEYS[1], 'Palermo', 'nosuch')"
    commands = [
        ["HELLO", protocol],
        ["GEOADD", "sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
        ["EVAL", positions, "1", "sicily"],
        ["EVAL", "redis.setresp(3); " + positions, "1", "sicily"],
        ["EVAL", "redis.setresp(3); return redis.call('GEODIST', KEYS[1], 'Palermo', 'Catania', 'km')", "1", "sicily"],
        [
            "EVAL",
            "return redis.call('GEOSEARCH', KEYS[1], 'FROMMEMBER', 'Palermo', 'BYRADIUS', 200, 'km', "
            "'WITHCOORD', 'WITHDIST', 'WITHHASH', 'ASC')",
            "1",
            "sicily",
        ],
        ["EVAL", "return redis.call('GEOADD', KEYS[1], 1, 2, 'm')", "1", "sicily"],
        ["MULTI"],
        ["GEOADD", "sicily", "XX", "CH", "13.5", "38.2", "Palermo"],
        ["GEORADIUS", "sicily", "15", "37", "200", "km", "STORE", "near"],
        ["GEOPOS", "near", "Palermo", "Catania"],
        ["EXEC"],
        ["SET", "str", "v"],
        ["GEOADD", "str", "1", "2", "m"],
        ["GEOPOS", "str", "m"],
        ["GEOSEARCHSTORE", "out", "str", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"],
        ["GEORADIUS_RO", "sicily", "15", "37", "200", "km", "STORE", "x"],
        ["GEOADD", "sicily", "1", "2"],
        ["GEOSEARCH", "sicily"],
        ["GEODIST", "sicily", "Palermo"],
        ["FLUSHALL"],
    ]
    expected = theirs.pipeline(commands)
    actual = ours.pipeline(commands)
    compare_replies(f"RESP{protocol}", commands, expected, actual, skip=[commands[0]])
