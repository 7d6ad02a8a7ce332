"""Redis's `long double` arithmetic for INCRBYFLOAT (and later HINCRBYFLOAT), emulated exactly.

Redis parses with strtold, adds in x86-64's 80-bit extended precision (64-bit mantissa) and prints with
"%.17Lf" before stripping trailing zeros. Python floats are 64-bit doubles, which print 10.5 + 0.1 as
"10.59999999999999964" where Redis prints "10.6"; so values are kept as exact Fractions rounded to the
extended format after every operation, and printed by exact decimal rounding as glibc does.
"""

import re
from fractions import Fraction

MANTISSA_BITS = 64
MIN_EXPONENT = -16382  # smallest normal binary exponent; below it values are subnormal
MAX_EXPONENT = 16383
MAX_CHARS = 5 * 1024  # MAX_LONG_DOUBLE_CHARS: longer strings are never valid floats

_DECIMAL = re.compile(rb"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
_HEX = re.compile(rb"([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?")
_INFINITY = re.compile(rb"[+-]?(?:inf|infinity)", re.IGNORECASE)


class NotANumber(Exception):
    """The operation produced NaN or an infinity."""


def round_to_extended(value: Fraction) -> Fraction:
    """Round an exact rational to the nearest 80-bit long double (ties to even); NotANumber on overflow."""
    if not value:
        return Fraction(0)
    numerator, denominator = abs(value.numerator), value.denominator
    exponent = numerator.bit_length() - denominator.bit_length()
    if (numerator << max(0, -exponent)) < (denominator << max(0, exponent)):
        exponent -= 1
    shift = MANTISSA_BITS - 1 - max(exponent, MIN_EXPONENT)
    if shift >= 0:
        quotient, remainder = divmod(numerator << shift, denominator)
    else:
        denominator <<= -shift
        quotient, remainder = divmod(numerator, denominator)
    twice = remainder * 2
    if twice > denominator or (twice == denominator and quotient & 1):
        quotient += 1
    if quotient.bit_length() - shift > MAX_EXPONENT + 1:
        raise NotANumber()
    sign = -1 if value < 0 else 1
    if shift >= 0:
        return Fraction(sign * quotient, 1 << shift)
    return Fraction(sign * (quotient << -shift))


def parse_long_double(raw: bytes) -> Fraction | float | None:
    """strtold as Redis's getLongDoubleFromObject uses it: the whole string must parse, no leading space,
    no NaN, no overflow to HUGE_VAL, no underflow to zero. Returns a Fraction, ±inf as a float, or None."""
    if not raw or len(raw) >= MAX_CHARS or raw[0] in b" \t\n\v\f\r":
        return None
    match = _DECIMAL.fullmatch(raw)
    if match and (match[2] or match[3]):
        return _decimal_value(match)
    match = _HEX.fullmatch(raw)
    if match and (match[2] or match[3]):
        return _hex_value(match)
    if _INFINITY.fullmatch(raw):
        return float("-inf") if raw[0] == 45 else float("inf")
    return None


def _decimal_value(match) -> Fraction | None:
    sign, whole, fraction, exponent = match[1], match[2], match[3] or b"", int(match[4] or 0)
    digits = (whole + fraction).lstrip(b"0")
    if not digits:
        return Fraction(0)
    scale = exponent - len(fraction)
    magnitude = len(digits) + scale  # about log10 of the value
    if magnitude > 4934:
        return None  # ERANGE, HUGE_VAL
    if magnitude < -4952:
        return None  # ERANGE, rounds to zero
    mantissa = int(digits) * (-1 if sign == b"-" else 1)
    exact = Fraction(mantissa * 10**scale) if scale >= 0 else Fraction(mantissa, 10**-scale)
    return _rounded_or_none(exact)


def _hex_value(match) -> Fraction | None:
    sign, whole, fraction, exponent = match[1], match[2], match[3] or b"", int(match[4] or 0)
    mantissa = int((whole + fraction) or b"0", 16) * (-1 if sign == b"-" else 1)
    if not mantissa:
        return Fraction(0)
    scale = exponent - 4 * len(fraction)
    if abs(scale) > 20000:
        return None
    exact = Fraction(mantissa * 2**scale) if scale >= 0 else Fraction(mantissa, 2**-scale)
    return _rounded_or_none(exact)


def _rounded_or_none(exact: Fraction) -> Fraction | None:
    try:
        rounded = round_to_extended(exact)
    except NotANumber:
        return None
    return rounded if rounded else None  # a non-zero value that underflowed to zero is ERANGE


def add(left: Fraction | float, right: Fraction | float) -> Fraction:
    """left + right in long double precision; NotANumber when the sum is NaN or infinite."""
    if isinstance(left, float) or isinstance(right, float):
        raise NotANumber()  # only infinities are floats here, and inf + x is never finite
    return round_to_extended(left + right)


def format_human(value: Fraction) -> bytes:
    """ld2string(LD_STR_HUMAN): "%.17Lf", then trailing zeros and a trailing '.' stripped; "-0" is "0"."""
    scaled = value * 10**17
    units = abs(scaled.numerator) // scaled.denominator
    remainder = abs(scaled.numerator) - units * scaled.denominator
    twice = 2 * remainder
    if twice > scaled.denominator or (twice == scaled.denominator and units & 1):
        units += 1
    whole, fraction = divmod(units, 10**17)
    text = _decimal_digits(whole) + b".%017d" % fraction
    text = text.rstrip(b"0").rstrip(b".")
    if value < 0 and text != b"0":
        text = b"-" + text
    return text


def _decimal_digits(number: int) -> bytes:
    """str(number) for a non-negative int of any size: Python refuses to print more than 4300 digits at once
    (sys.int_max_str_digits), and a long double reaches 4933."""
    if number < 10**4000:
        return b"%d" % number
    high, low = divmod(number, 10**4000)
    return _decimal_digits(high) + b"%04000d" % low
