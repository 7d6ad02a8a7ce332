"""Geo commands: GEOADD, GEODIST, GEOHASH, GEOPOS, GEORADIUS, GEORADIUSBYMEMBER, GEORADIUS_RO,
GEORADIUSBYMEMBER_RO, GEOSEARCH, GEOSEARCHSTORE.

A geo index is a sorted set whose scores are 52-bit geohashes (storage/geohash.py), so it is a ZSet like any
other. GEOADD is ZADD with computed scores and propagates as that ZADD, as Redis's replaceClientCommandVector
makes it; the searches that store propagate as themselves. All the searches run through `search_generic`,
Redis's georadiusGeneric, whose argument walk decides which error a bad request gets: the key is looked up
first, then the centre and the radius, then the options one by one.
"""

from fractions import Fraction

from .. import errors
from ..errors import CommandError
from ..protocol.values import NULL_ARRAY, HumanDouble
from ..storage import geohash
from ..storage.geohash import Shape
from ..storage.pqsort import pqsort
from ..storage.zset import ScoreRange, ZSet
from .args import to_int, to_score
from .context import Argv, Context
from .keys import lookup_read_as
from .long_double import format_human
from .registry import Index, KeySpec, Keyword, command
from .zsets import store_result, zadd_generic

UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}
SEARCH_COMPLEXITY = (
    "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by "
    "center and radius and M is the number of items inside the index."
)
SHAPE_COMPLEXITY = (
    "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape "
    "provided as the filter and M is the number of items inside the shape"
)

# georadiusGeneric's flags
BY_COORDS, BY_MEMBER, NO_STORE, SEARCH, SEARCH_STORE = 1, 2, 4, 8, 16


# -- arguments -----------------------------------------------------------------------------------------------


def extract_long_lat(argv: Argv, pos: int) -> tuple[float, float]:
    """extractLongLatOrReply: two floats within Redis's limits."""
    longitude, latitude = to_score(argv[pos]), to_score(argv[pos + 1])
    if not (geohash.LONG_MIN <= longitude <= geohash.LONG_MAX and geohash.LAT_MIN <= latitude <= geohash.LAT_MAX):
        raise CommandError(errors.invalid_long_lat(longitude, latitude))
    return longitude, latitude


def extract_unit(raw: bytes) -> float:
    """extractUnitOrReply: meters per unit, the unit's name in any case."""
    meters = UNITS.get(errors.c_string(raw).lower())
    if meters is None:
        raise CommandError(errors.GEO_UNIT)
    return meters


def extract_distance(argv: Argv, pos: int) -> tuple[float, float]:
    """extractDistanceOrReply: (radius, meters per unit)."""
    radius = to_score(argv[pos], errors.GEO_RADIUS_NOT_NUMERIC)
    if radius < 0:
        raise CommandError(errors.GEO_RADIUS_NEGATIVE)
    return radius, extract_unit(argv[pos + 1])


def extract_box(argv: Argv, pos: int) -> tuple[float, float, float]:
    """extractBoxOrReply: (width, height, meters per unit)."""
    width = to_score(argv[pos], errors.GEO_WIDTH_NOT_NUMERIC)
    height = to_score(argv[pos + 1], errors.GEO_HEIGHT_NOT_NUMERIC)
    if height < 0 or width < 0:
        raise CommandError(errors.GEO_BOX_NEGATIVE)
    return width, height, extract_unit(argv[pos + 2])


def member_position(zset: ZSet, member: bytes) -> tuple[float, float]:
    """longLatFromMember, or Redis's error for a member that is not there."""
    score = zset.scores.get(member)
    if score is None:
        raise CommandError(errors.GEO_MEMBER_UNKNOWN)
    return geohash.score_to_position(score)


# -- replies -------------------------------------------------------------------------------------------------


def distance_reply(meters: float) -> bytes:
    """addReplyDoubleDistance: "%.4f" as a bulk string, in RESP3 too."""
    return b"%.4f" % meters


def coordinate_reply(value: float) -> HumanDouble:
    """addReplyHumanLongDouble."""
    return HumanDouble(format_human(Fraction(value)))


def position_reply(score: float) -> list:
    longitude, latitude = geohash.score_to_position(score)
    return [coordinate_reply(longitude), coordinate_reply(latitude)]


# -- GEOADD --------------------------------------------------------------------------------------------------


@command(
    "geoadd",
    arity=-5,
    flags="write denyoom",
    key_specs=[KeySpec("RW UPDATE", Index(1))],
    group="geo",
    since="3.2.0",
    complexity="O(log(N)) for each item added, where N is the number of elements in the sorted set.",
)
def geoadd_command(ctx: Context, argv: Argv):
    """GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...] — Add one or more
    geospatial items in the geospatial index represented using a sorted set

    Redis turns the command into ZADD key [options] score member ... and runs that, so the AOF and replicas
    see the ZADD."""
    first = 2
    nx = xx = False
    while first < len(argv):
        option = errors.c_string(argv[first]).lower()
        if option == b"nx":
            nx = True
        elif option == b"xx":
            xx = True
        elif option != b"ch":
            break
        first += 1
    if (len(argv) - first) % 3 or (nx and xx):
        raise CommandError(errors.SYNTAX)
    zadd_argv = [b"zadd", *argv[1:first]]
    for pos in range(first, len(argv), 3):
        longitude, latitude = extract_long_lat(argv, pos)
        zadd_argv += [b"%d" % geohash.position_to_score(longitude, latitude), argv[pos + 2]]
    reply = zadd_generic(ctx, zadd_argv, 0)
    ctx.propagate_as(zadd_argv)
    return reply


# -- single-member reads -------------------------------------------------------------------------------------


@command(
    "geodist",
    arity=-4,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="geo",
    since="3.2.0",
    complexity="O(log(N))",
)
def geodist_command(ctx: Context, argv: Argv):
    """GEODIST key member1 member2 [M | KM | FT | MI] — Returns the distance between two members of a geospatial
    index"""
    to_meters = 1.0
    if len(argv) == 5:
        to_meters = extract_unit(argv[4])
    elif len(argv) > 5:
        raise CommandError(errors.SYNTAX)
    zset = lookup_read_as(ctx, argv[1], ZSet)
    if zset is None:
        return None
    first, second = zset.scores.get(argv[2]), zset.scores.get(argv[3])
    if first is None or second is None:
        return None
    meters = geohash.distance(*geohash.score_to_position(first), *geohash.score_to_position(second))
    return distance_reply(meters / to_meters)


@command(
    "geohash",
    arity=-2,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="geo",
    since="3.2.0",
    complexity="O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
)
def geohash_command(ctx: Context, argv: Argv):
    """GEOHASH key [member [member ...]] — Returns members of a geospatial index as standard geohash strings"""
    zset = lookup_read_as(ctx, argv[1], ZSet)
    scores = {} if zset is None else zset.scores
    replies: list = []
    for member in argv[2:]:
        score = scores.get(member)
        replies.append(None if score is None else geohash.standard_geohash(*geohash.score_to_position(score)))
    return replies


@command(
    "geopos",
    arity=-2,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="geo",
    since="3.2.0",
    complexity="O(N) where N is the number of members requested.",
)
def geopos_command(ctx: Context, argv: Argv):
    """GEOPOS key [member [member ...]] — Returns longitude and latitude of members of a geospatial index"""
    zset = lookup_read_as(ctx, argv[1], ZSet)
    scores = {} if zset is None else zset.scores
    replies: list = []
    for member in argv[2:]:
        score = scores.get(member)
        replies.append(NULL_ARRAY if score is None else position_reply(score))
    return replies


# -- searches ------------------------------------------------------------------------------------------------


class SearchOptions:
    """What georadiusGeneric's argument walk collects."""

    __slots__ = ("withdist", "withhash", "withcoord", "any", "sort", "count", "store", "storedist", "center", "area")

    def __init__(self):
        self.withdist = self.withhash = self.withcoord = self.any = self.storedist = False
        self.sort = 0  # 0 none, 1 ascending, -1 descending
        self.count = 0  # 0: unlimited
        self.store: bytes | None = None
        self.center: tuple[float, float] | None = None
        self.area: tuple | None = None  # (radius, conversion) or (width, height, conversion)


def parse_search_options(argv: Argv, start: int, flags: int, zset: ZSet | None, options: SearchOptions):
    """georadiusGeneric's loop over the optional arguments, checks in Redis's order."""
    pos, argc = start, len(argv)
    geosearch = flags & SEARCH
    frommember = fromloc = byradius = bybox = False
    while pos < argc:
        word = errors.c_string(argv[pos]).lower()
        left = argc - pos - 1  # arguments after this one
        if word == b"withdist":
            options.withdist = True
        elif word == b"withhash":
            options.withhash = True
        elif word == b"withcoord":
            options.withcoord = True
        elif word == b"any":
            options.any = True
        elif word == b"asc":
            options.sort = 1
        elif word == b"desc":
            options.sort = -1
        elif word == b"count" and left >= 1:
            options.count = to_int(argv[pos + 1])
            if options.count <= 0:
                raise CommandError(errors.GEO_COUNT_NOT_POSITIVE)
            pos += 1
        elif word in (b"store", b"storedist") and left >= 1 and not flags & (NO_STORE | SEARCH):
            options.store, options.storedist = argv[pos + 1], word == b"storedist"
            pos += 1
        elif word == b"storedist" and geosearch and flags & SEARCH_STORE:
            options.storedist = True
        elif word == b"frommember" and left >= 1 and geosearch and not fromloc:
            if zset is not None:  # without a key the walk goes on, and the reply is empty
                options.center = member_position(zset, argv[pos + 1])
            frommember = True
            pos += 1
        elif word == b"fromlonlat" and left >= 2 and geosearch and not frommember:
            options.center = extract_long_lat(argv, pos + 1)
            fromloc = True
            pos += 2
        elif word == b"byradius" and left >= 2 and geosearch and not bybox:
            options.area = extract_distance(argv, pos + 1)
            byradius = True
            pos += 2
        elif word == b"bybox" and left >= 3 and geosearch and not byradius:
            options.area = extract_box(argv, pos + 1)
            bybox = True
            pos += 3
        else:
            raise CommandError(errors.SYNTAX)
        pos += 1
    if options.store is not None and (options.withdist or options.withhash or options.withcoord):
        raise CommandError(errors.geo_store_with_options(bool(flags & SEARCH_STORE)))
    if geosearch and not (frommember or fromloc):
        raise CommandError(errors.geo_exactly_one_center(argv[0]))
    if geosearch and not (byradius or bybox):
        raise CommandError(errors.geo_exactly_one_shape(argv[0]))
    if options.any and not options.count:
        raise CommandError(errors.GEO_ANY_WITHOUT_COUNT)


def make_shape(center: tuple[float, float], area: tuple) -> Shape:
    if len(area) == 2:
        radius, conversion = area
        return Shape(center[0], center[1], conversion, radius=radius)
    width, height, conversion = area
    return Shape(center[0], center[1], conversion, width=width, height=height, box=True)


def points_in_shape(zset: ZSet, shape: Shape, limit: int) -> list[tuple[float, float, float, bytes, int]]:
    """membersOfAllNeighbors: (distance in meters, longitude, latitude, member, score) of the members inside
    the shape, box by box in Redis's order, stopping at `limit` found (0: no limit)."""
    found: list = []
    boxes = geohash.search_boxes(shape)
    last_processed = 0
    for index, box in enumerate(boxes):
        if box == geohash.ZERO:
            continue
        # huge radii make neighbours repeat: Redis skips a box equal to the last one processed (never comparing
        # with the centre's, as its index 0 reads as "none yet")
        if last_processed and box == boxes[last_processed]:
            continue
        if found and limit and len(found) >= limit:
            break
        low, high = geohash.score_range(box)
        lo, hi = zset.score_span(ScoreRange(low, high, maxex=True))
        for score, member in zset.ordered.islice(lo, hi):
            longitude, latitude = geohash.score_to_position(score)
            meters = shape.distance_if_inside(longitude, latitude)
            if meters is not None:
                found.append((meters, longitude, latitude, member, score))
                if limit and len(found) >= limit:
                    break
        last_processed = index
    return found


def compare_distances(a: float, b: float) -> int:
    """Redis's sort_gp_asc/desc: equal, greater or else smaller (so a NaN sorts as smaller than anything)."""
    return 0 if a == b else (1 if a > b else -1)


def search_generic(ctx: Context, argv: Argv, key_index: int, flags: int):
    """georadiusGeneric."""
    zset = lookup_read_as(ctx, argv[key_index], ZSet)
    options = SearchOptions()
    if flags & BY_COORDS:
        start = 6
        options.center = extract_long_lat(argv, 2)
        options.area = extract_distance(argv, 4)
    elif flags & BY_MEMBER:
        start = 5
        if zset is not None:
            options.center = member_position(zset, argv[2])
            options.area = extract_distance(argv, 3)
    else:
        start = 3 if flags & SEARCH_STORE else 2
        if flags & SEARCH_STORE:
            options.store = argv[1]
    parse_search_options(argv, start, flags, zset, options)
    store = options.store
    if zset is None:
        if store is None:
            return []
        return store_result(ctx, store, [], b"")
    count = options.count
    assert options.center is not None and options.area is not None
    shape = make_shape(options.center, options.area)
    found = points_in_shape(zset, shape, count if options.any else 0)
    if count and not options.sort and not options.any:  # the nearest N need sorting
        options.sort = 1
    if options.sort:
        distance = (lambda point: point[0]) if options.sort > 0 else (lambda point: -point[0])
        if count and count < len(found):  # Redis sorts just enough for the first `count`
            pqsort(found, lambda a, b: compare_distances(distance(a), distance(b)), 0, count - 1)
            del found[count:]
        else:  # glibc's qsort: a merge sort, stable as Python's
            found.sort(key=distance)
    conversion = shape.conversion
    if store is not None:
        event = b"geosearchstore" if flags & SEARCH else b"georadiusstore"
        if options.storedist:
            pairs = [(meters / conversion, member) for meters, _, _, member, _ in found]
        else:
            pairs = [(float(score), member) for _, _, _, member, score in found]
        stored = store_result(ctx, store, pairs, event)
        if stored > 1:
            ctx.server.dirty += stored - 1  # Redis counts each stored member as a change
        return stored
    if not (options.withdist or options.withhash or options.withcoord):
        return [member for _, _, _, member, _ in found]
    replies = []
    for meters, longitude, latitude, member, score in found:
        entry: list = [member]
        if options.withdist:
            entry.append(distance_reply(meters / conversion))
        if options.withhash:
            entry.append(int(score))
        if options.withcoord:
            entry.append([coordinate_reply(longitude), coordinate_reply(latitude)])
        replies.append(entry)
    return replies


def radius_key_specs(startfrom: int) -> list[KeySpec]:
    return [
        KeySpec("RO ACCESS", Index(1)),
        KeySpec("OW UPDATE", Keyword(b"STORE", startfrom)),
        KeySpec("OW UPDATE", Keyword(b"STOREDIST", startfrom)),
    ]


@command(
    "georadius",
    arity=-6,
    flags="write denyoom",
    key_specs=radius_key_specs(6),
    group="geo",
    since="3.2.0",
    complexity=SEARCH_COMPLEXITY,
)
def georadius_command(ctx: Context, argv: Argv):
    """GEORADIUS key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count
    [ANY]] [ASC | DESC] [STORE key] [STOREDIST key] — Query a sorted set representing a geospatial index to fetch
    members matching a given maximum distance from a point"""
    return search_generic(ctx, argv, 1, BY_COORDS)


@command(
    "georadiusbymember",
    arity=-5,
    flags="write denyoom",
    key_specs=radius_key_specs(5),
    group="geo",
    since="3.2.0",
    complexity=SEARCH_COMPLEXITY,
)
def georadiusbymember_command(ctx: Context, argv: Argv):
    """GEORADIUSBYMEMBER key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]]
    [ASC | DESC] [STORE key] [STOREDIST key] — Query a sorted set representing a geospatial index to fetch members
    matching a given maximum distance from a member"""
    return search_generic(ctx, argv, 1, BY_MEMBER)


@command(
    "georadius_ro",
    arity=-6,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="geo",
    since="3.2.10",
    complexity=SEARCH_COMPLEXITY,
)
def georadius_ro_command(ctx: Context, argv: Argv):
    """GEORADIUS_RO key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count
    [ANY]] [ASC | DESC] — A read-only variant for GEORADIUS"""
    return search_generic(ctx, argv, 1, BY_COORDS | NO_STORE)


@command(
    "georadiusbymember_ro",
    arity=-5,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="geo",
    since="3.2.10",
    complexity=SEARCH_COMPLEXITY,
)
def georadiusbymember_ro_command(ctx: Context, argv: Argv):
    """GEORADIUSBYMEMBER_RO key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count
    [ANY]] [ASC | DESC] — A read-only variant for GEORADIUSBYMEMBER"""
    return search_generic(ctx, argv, 1, BY_MEMBER | NO_STORE)


@command(
    "geosearch",
    arity=-7,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="geo",
    since="6.2.0",
    complexity=SHAPE_COMPLEXITY,
)
def geosearch_command(ctx: Context, argv: Argv):
    """GEOSEARCH key <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX
    width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH] — Query a
    sorted set representing a geospatial index to fetch members inside an area of a box or a circle."""
    return search_generic(ctx, argv, 1, SEARCH)


@command(
    "geosearchstore",
    arity=-8,
    flags="write denyoom",
    key_specs=[KeySpec("OW UPDATE", Index(1)), KeySpec("RO ACCESS", Index(2))],
    group="geo",
    since="6.2.0",
    complexity=SHAPE_COMPLEXITY,
)
def geosearchstore_command(ctx: Context, argv: Argv):
    """GEOSEARCHSTORE destination source <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M |
    KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [STOREDIST] — Query a
    sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store
    the result in another key."""
    return search_generic(ctx, argv, 2, SEARCH | SEARCH_STORE)
