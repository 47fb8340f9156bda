//! Terraform numbers: exact decimals of any size and precision, plus ±Infinity.
//!
//! cty (Terraform's value library) keeps numbers as 512-bit binary floats, accepts
//! ±Infinity, and moves them over the wire as msgpack ints, float64s or decimal strings
//! (tfplugin6.md §3.2). A [`Number`] is an exact decimal `±digits × 10^exp`, so every
//! int, every float64 and every decimal string Terraform sends is held without loss and
//! written back with the same numeric value.
//!
//! Floats convert exactly: [`Number::from_f64`]`(0.1)` is the binary value of the float,
//! 0.1000000000000000055511151231257827021181583404541015625, so a float Terraform sends
//! is written back as the very same float64. [`Number::from_f64_shortest`] gives the
//! shortest decimal that reads back as the same float (`0.1`), for values that come from
//! APIs rather than from Terraform.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Largest magnitude of the scientific exponent a parsed number may have. Far beyond
/// float64 (±308) and beyond anything Terraform produces; it keeps exponent arithmetic
/// in `i64` free of overflow.
const MAX_SCI_EXP: i64 = 1_000_000_000;

/// [`Display`](fmt::Display) writes plain decimal text unless it would need more padding
/// zeros than this; then it uses scientific notation (`1e+2000`).
const PLAIN_MAX_ZEROS: i64 = 1024;

/// A float64 has at most 767 significant decimal digits and no digit below 10^-1074.
const F64_MAX_DIGITS: usize = 767;
const F64_MIN_EXP: i64 = -1074;

/// A Terraform number: an exact decimal of unbounded size and precision, or ±Infinity.
///
/// Equality and ordering are numeric: `1`, `1.0` and `"1.000".parse()` are equal, and
/// there is no negative zero. NaN does not exist (cty rejects it).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    NegInf,
    /// `(-1)^neg × digits × 10^exp`. Normalised so that equal numbers are equal structs:
    /// `digits` holds ASCII digits without leading or trailing zeros; zero is the empty
    /// string with `neg == false` and `exp == 0`.
    Finite {
        neg: bool,
        digits: String,
        exp: i64,
    },
    PosInf,
}

/// Why a string is not a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid number {text:?}: {reason}")]
pub struct ParseNumberError {
    text: String,
    reason: &'static str,
}

impl Number {
    /// Zero.
    pub fn zero() -> Self {
        Number(Repr::Finite {
            neg: false,
            digits: String::new(),
            exp: 0,
        })
    }

    /// Positive (`negative == false`) or negative infinity.
    pub fn infinity(negative: bool) -> Self {
        Number(if negative { Repr::NegInf } else { Repr::PosInf })
    }

    /// Builds a normalised finite number from ASCII digits (any leading/trailing zeros).
    fn finite(neg: bool, digits: &str, exp: i64) -> Self {
        let trimmed = digits.trim_start_matches('0');
        let significant = trimmed.trim_end_matches('0');
        if significant.is_empty() {
            return Number::zero();
        }
        // Trailing zeros move into the exponent; callers keep `exp` far from the i64 limits.
        let exp = exp.saturating_add((trimmed.len() - significant.len()) as i64);
        Number(Repr::Finite {
            neg,
            digits: significant.to_string(),
            exp,
        })
    }

    /// The exact value of `f`; ±Infinity for infinite floats, `None` for NaN.
    pub fn from_f64(f: f64) -> Option<Number> {
        if f.is_nan() {
            return None;
        }
        if f.is_infinite() {
            return Some(Number::infinity(f < 0.0));
        }
        if f == 0.0 {
            return Some(Number::zero());
        }
        let bits = f.to_bits();
        let neg = bits >> 63 == 1;
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1u64 << 52) - 1);
        // f = mantissa × 2^exp2, exactly.
        let (mut mantissa, mut exp2) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1u64 << 52), biased - 1075)
        };
        let shift = mantissa.trailing_zeros();
        mantissa >>= shift;
        exp2 += shift as i64;
        let mut big = BigDigits::from_u64(mantissa);
        if exp2 >= 0 {
            big.mul_pow(2, exp2 as u32);
            Some(Number::finite(neg, &big.to_decimal(), 0))
        } else {
            // m × 2^-k = m × 5^k × 10^-k.
            let k = -exp2;
            big.mul_pow(5, k as u32);
            Some(Number::finite(neg, &big.to_decimal(), -k))
        }
    }

    /// The shortest decimal that reads back as `f` (`0.1_f64` gives exactly 0.1);
    /// ±Infinity for infinite floats, `None` for NaN. Use [`Number::from_f64`] to keep the
    /// float's exact binary value instead.
    pub fn from_f64_shortest(f: f64) -> Option<Number> {
        if f.is_nan() {
            return None;
        }
        if f.is_infinite() {
            return Some(Number::infinity(f < 0.0));
        }
        // Rust's `{}` for f64 writes the shortest round-tripping decimal, never an exponent.
        format!("{f}").parse().ok()
    }

    /// True for ±Infinity.
    pub fn is_infinite(&self) -> bool {
        !matches!(self.0, Repr::Finite { .. })
    }

    /// True for finite whole numbers (zero included).
    pub fn is_integer(&self) -> bool {
        matches!(self.0, Repr::Finite { exp, .. } if exp >= 0)
    }

    /// True below zero (−Infinity included).
    pub fn is_negative(&self) -> bool {
        matches!(self.0, Repr::NegInf | Repr::Finite { neg: true, .. })
    }

    /// The magnitude of a finite whole number, if it is below 10^20 (covers u64 and i64).
    fn small_magnitude(&self) -> Option<(bool, u128)> {
        let Repr::Finite { neg, digits, exp } = &self.0 else {
            return None;
        };
        if *exp < 0 || digits.len() as i64 + *exp > 20 {
            return None;
        }
        let mut m: u128 = 0;
        for d in digits.bytes() {
            m = m * 10 + u128::from(d - b'0');
        }
        for _ in 0..*exp {
            m *= 10;
        }
        Some((*neg, m))
    }

    /// The value as i64, if it is a whole number in i64's range.
    pub fn as_i64(&self) -> Option<i64> {
        let (neg, m) = self.small_magnitude()?;
        let signed = if neg { -(m as i128) } else { m as i128 };
        i64::try_from(signed).ok()
    }

    /// The value as u64, if it is a whole number in u64's range.
    pub fn as_u64(&self) -> Option<u64> {
        match self.small_magnitude()? {
            (false, m) => u64::try_from(m).ok(),
            (true, _) => None,
        }
    }

    /// The nearest f64 (±Infinity beyond f64's range, 0 below its smallest subnormal).
    pub fn as_f64(&self) -> f64 {
        match &self.0 {
            Repr::NegInf => f64::NEG_INFINITY,
            Repr::PosInf => f64::INFINITY,
            Repr::Finite { digits, .. } if digits.is_empty() => 0.0,
            // Rust's float parser rounds correctly for any number of digits.
            Repr::Finite { neg, digits, exp } => {
                let sign = if *neg { "-" } else { "" };
                format!("{sign}{digits}e{exp}").parse().unwrap_or(f64::NAN)
            }
        }
    }

    /// The f64 equal to this number, if one exists (±Infinity included).
    pub fn to_exact_f64(&self) -> Option<f64> {
        if let Repr::Finite { digits, exp, .. } = &self.0 {
            if digits.len() > F64_MAX_DIGITS || *exp < F64_MIN_EXP {
                return None;
            }
        }
        let f = self.as_f64();
        (Number::from_f64(f).as_ref() == Some(self)).then_some(f)
    }

    /// Scientific exponent of the leading digit (finite, non-zero numbers).
    fn sci_exp(digits: &str, exp: i64) -> i64 {
        exp + digits.len() as i64 - 1
    }

    fn cmp_magnitude(a: (&str, i64), b: (&str, i64)) -> Ordering {
        Number::sci_exp(a.0, a.1)
            .cmp(&Number::sci_exp(b.0, b.1))
            // Same leading position: digit strings compare like the numbers (no trailing zeros).
            .then_with(|| a.0.cmp(b.0))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        use Repr::*;
        // -1, 0 or 1 for negative, zero and positive finite numbers.
        let sign = |neg: bool, digits: &str| match (digits.is_empty(), neg) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        };
        match (&self.0, &other.0) {
            (NegInf, NegInf) | (PosInf, PosInf) => Ordering::Equal,
            (NegInf, _) | (_, PosInf) => Ordering::Less,
            (_, NegInf) | (PosInf, _) => Ordering::Greater,
            (
                Finite {
                    neg: an,
                    digits: ad,
                    exp: ae,
                },
                Finite {
                    neg: bn,
                    digits: bd,
                    exp: be,
                },
            ) => {
                let (sa, sb) = (sign(*an, ad), sign(*bn, bd));
                match sa.cmp(&sb) {
                    Ordering::Equal if sa == 0 => Ordering::Equal,
                    Ordering::Equal if sa > 0 => Number::cmp_magnitude((ad, *ae), (bd, *be)),
                    Ordering::Equal => Number::cmp_magnitude((bd, *be), (ad, *ae)),
                    unequal => unequal,
                }
            }
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The decimal digits of `n`, written into `buf` (no allocation: integers are the numbers
/// Terraform sends most).
fn u64_digits(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    std::str::from_utf8(&buf[i..]).unwrap_or_default()
}

impl From<i64> for Number {
    fn from(n: i64) -> Self {
        Number::finite(n < 0, u64_digits(n.unsigned_abs(), &mut [0; 20]), 0)
    }
}
impl From<u64> for Number {
    fn from(n: u64) -> Self {
        Number::finite(false, u64_digits(n, &mut [0; 20]), 0)
    }
}
// i32/u32 exist so that an untyped literal (`Number::from(5)`) still compiles.
impl From<i32> for Number {
    fn from(n: i32) -> Self {
        Number::from(i64::from(n))
    }
}
impl From<u32> for Number {
    fn from(n: u32) -> Self {
        Number::from(u64::from(n))
    }
}

impl Number {
    /// Scientific text `d[.ddd]e±N` (`1.5e+3`, `-2e-7`, `0`, `Infinity`): never longer
    /// than the shortest decimal spelling of the number plus about a dozen characters,
    /// however large or small its exponent. [`FromStr`] reads it back.
    pub fn to_scientific_string(&self) -> String {
        Scientific(self).to_string()
    }

    /// Sign, digits and exponent of a non-zero finite number; the text of the rest.
    fn parts(&self) -> Result<(bool, &str, i64), &'static str> {
        match &self.0 {
            Repr::NegInf => Err("-Infinity"),
            Repr::PosInf => Err("Infinity"),
            Repr::Finite { digits, .. } if digits.is_empty() => Err("0"),
            Repr::Finite { neg, digits, exp } => Ok((*neg, digits.as_str(), *exp)),
        }
    }
}

struct Scientific<'a>(&'a Number);

impl fmt::Display for Scientific<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (neg, digits, exp) = match self.0.parts() {
            Ok(p) => p,
            Err(text) => return f.write_str(text),
        };
        let (lead, rest) = digits.split_at(1);
        let sign = if neg { "-" } else { "" };
        let sep = if rest.is_empty() { "" } else { "." };
        let sci = Number::sci_exp(digits, exp);
        let esign = if sci < 0 { "-" } else { "+" };
        write!(f, "{sign}{lead}{sep}{rest}e{esign}{}", sci.unsigned_abs())
    }
}

impl fmt::Display for Number {
    /// Canonical text: `0`, `42`, `-0.5`, `123456789012345678901234567890.123456789`.
    /// Plain decimal (as cty writes, `Text('f', -1)`) unless that needs more than 1024
    /// padding zeros; then scientific: `1e+2000`, `-1.5e-3000`. Infinities are
    /// `Infinity` and `-Infinity`. [`FromStr`] reads all of these back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (neg, digits, exp) = match self.parts() {
            Ok(p) => p,
            Err(text) => return f.write_str(text),
        };
        let int_digits = digits.len() as i64 + exp; // digits before the decimal point
        let plain = if exp >= 0 {
            exp <= PLAIN_MAX_ZEROS
        } else {
            -int_digits <= PLAIN_MAX_ZEROS
        };
        if !plain {
            return Scientific(self).fmt(f);
        }
        if neg {
            f.write_str("-")?;
        }
        if exp >= 0 {
            f.write_str(digits)?;
            write_zeros(f, exp)
        } else if int_digits > 0 {
            let (int, frac) = digits.split_at(int_digits as usize);
            write!(f, "{int}.{frac}")
        } else {
            f.write_str("0.")?;
            write_zeros(f, -int_digits)?;
            f.write_str(digits)
        }
    }
}

fn write_zeros(f: &mut fmt::Formatter<'_>, n: i64) -> fmt::Result {
    for _ in 0..n {
        f.write_str("0")?;
    }
    Ok(())
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

impl FromStr for Number {
    type Err = ParseNumberError;

    /// Reads `[+-]digits[.digits][(e|E)[+-]digits]` (at least one mantissa digit; `.5`
    /// and `5.` are accepted, as Go's parser does) and `[+-]Inf`/`Infinity` in any case.
    /// Errors: anything else, or an exponent beyond ±10^9.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| ParseNumberError {
            text: s.chars().take(64).collect(),
            reason,
        };
        let (neg, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
            return Ok(Number::infinity(neg));
        }
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() && frac.is_empty() {
            return Err(err("no digits"));
        }
        if !all_digits(int) || !all_digits(frac) {
            return Err(err("not a decimal number"));
        }
        let exp = match exponent {
            None => 0,
            Some(e) => parse_exponent(e).ok_or_else(|| err("bad or out-of-range exponent"))?,
        };
        let digits = format!("{int}{frac}");
        let frac_len = i64::try_from(frac.len()).map_err(|_| err("too many digits"))?;
        let n = Number::finite(neg, &digits, exp.saturating_sub(frac_len));
        if let Repr::Finite { digits, exp, .. } = &n.0 {
            if !digits.is_empty() && Number::sci_exp(digits, *exp).abs() > MAX_SCI_EXP {
                return Err(err("exponent out of range (beyond ±10^9)"));
            }
        }
        Ok(n)
    }
}

/// Parses `[+-]digits`, refusing magnitudes above 2×10^9 (so later sums cannot overflow).
fn parse_exponent(e: &str) -> Option<i64> {
    let (neg, digits) = match e.as_bytes().first() {
        Some(b'-') => (true, &e[1..]),
        Some(b'+') => (false, &e[1..]),
        _ => (false, e),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    if digits.len() > 10 {
        return None;
    }
    let v: i64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    if v > 2 * MAX_SCI_EXP {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// A natural number in base 10^9 limbs, least significant first: just enough arithmetic
/// to expand a float exactly.
struct BigDigits(Vec<u64>);

const LIMB: u64 = 1_000_000_000;

impl BigDigits {
    fn from_u64(mut n: u64) -> Self {
        let mut limbs = Vec::new();
        while n > 0 {
            limbs.push(n % LIMB);
            n /= LIMB;
        }
        BigDigits(limbs)
    }

    fn mul_small(&mut self, factor: u64) {
        // factor < 2^32, limb < 10^9: the product and carry stay below 2^63.
        let mut carry = 0;
        for limb in &mut self.0 {
            let p = *limb * factor + carry;
            *limb = p % LIMB;
            carry = p / LIMB;
        }
        while carry > 0 {
            self.0.push(carry % LIMB);
            carry /= LIMB;
        }
    }

    /// Multiplies by `base^power` (base 2 or 5) in chunks that fit under 2^32.
    fn mul_pow(&mut self, base: u64, mut power: u32) {
        let chunk = if base == 2 { 31 } else { 13 };
        while power > 0 {
            let step = power.min(chunk);
            self.mul_small(base.pow(step));
            power -= step;
        }
    }

    fn to_decimal(&self) -> String {
        let mut out = String::new();
        for (i, limb) in self.0.iter().rev().enumerate() {
            if i == 0 {
                out.push_str(&limb.to_string());
            } else {
                out.push_str(&format!("{limb:09}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn big_decimal_round_trips_exactly() {
        let s = "123456789012345678901234567890.123456789";
        assert_eq!(n(s).to_string(), s);
        assert_eq!(n("-0.5").to_string(), "-0.5");
        assert_eq!(n("0.000123").to_string(), "0.000123");
        assert_eq!(n("1200").to_string(), "1200");
    }

    #[test]
    fn numeric_equality_ignores_form() {
        assert_eq!(n("1"), n("1.000"));
        assert_eq!(n("1"), Number::from(1i64));
        assert_eq!(n("1.0"), Number::from_f64(1.0).unwrap());
        assert_eq!(n("-0"), Number::zero());
        assert_eq!(Number::from_f64(-0.0).unwrap(), Number::zero());
        assert_eq!(n("12.5e1"), n("125"));
        assert_eq!(n("0012.50"), n("12.5"));
        assert_ne!(n("1"), n("1.0000000000000000000000001"));
    }

    #[test]
    fn integer_limits_are_exact() {
        let max = Number::from(u64::MAX);
        assert_eq!(max.to_string(), "18446744073709551615");
        assert_eq!(max.as_u64(), Some(u64::MAX));
        assert_eq!(max.as_i64(), None);
        let min = Number::from(i64::MIN);
        assert_eq!(min.to_string(), "-9223372036854775808");
        assert_eq!(min.as_i64(), Some(i64::MIN));
        assert_eq!(min.as_u64(), None);
        assert_eq!(n("18446744073709551616").as_u64(), None);
        assert_eq!(n("-9223372036854775809").as_i64(), None);
        assert_eq!(n("1e19").as_u64(), Some(10_000_000_000_000_000_000));
        assert_eq!(n("1.5").as_i64(), None);
        assert_eq!(n("1e400").as_i64(), None);
    }

    #[test]
    fn floats_convert_exactly() {
        assert_eq!(Number::from_f64(0.5).unwrap().to_string(), "0.5");
        assert_eq!(
            Number::from_f64(0.1).unwrap().to_string(),
            "0.1000000000000000055511151231257827021181583404541015625"
        );
        assert_eq!(Number::from_f64_shortest(0.1).unwrap(), n("0.1"));
        assert_eq!(Number::from_f64(1e300).unwrap().as_f64(), 1e300);
        let tiny = Number::from_f64(f64::from_bits(1)).unwrap();
        assert_eq!(tiny.as_f64(), f64::from_bits(1));
        assert_eq!(tiny.to_exact_f64(), Some(f64::from_bits(1)));
        assert!(Number::from_f64(f64::NAN).is_none());
        for f in [1.25, -3.0e-5, 123456.789, f64::MAX, f64::MIN_POSITIVE, -7.0] {
            let x = Number::from_f64(f).unwrap();
            assert_eq!(x.as_f64(), f);
            assert_eq!(x.to_exact_f64(), Some(f));
            assert_eq!(n(&x.to_string()), x);
        }
        assert_eq!(n("0.1").to_exact_f64(), None);
        assert_eq!(n("0.1").as_f64(), 0.1);
    }

    #[test]
    fn infinities() {
        let inf = Number::from_f64(f64::INFINITY).unwrap();
        assert_eq!(inf, Number::infinity(false));
        assert_eq!(inf.to_string(), "Infinity");
        assert_eq!(n("-Infinity"), Number::infinity(true));
        assert_eq!(n("-inf"), Number::infinity(true));
        assert_eq!(n("+Inf"), inf);
        assert!(!inf.is_integer());
        assert_eq!(inf.as_f64(), f64::INFINITY);
        assert_eq!(
            Number::infinity(true).to_exact_f64(),
            Some(f64::NEG_INFINITY)
        );
    }

    #[test]
    fn huge_exponents_use_scientific_text() {
        assert_eq!(n("1e2000").to_string(), "1e+2000");
        assert_eq!(n("-1.5e-3000").to_string(), "-1.5e-3000");
        assert_eq!(n(&n("1.5e-3000").to_string()), n("1.5e-3000"));
        assert_eq!(n("1e400").to_string().len(), 401);
        assert_eq!(n("1e2000").as_f64(), f64::INFINITY);
        assert_eq!(n("1e-2000").as_f64(), 0.0);
    }

    #[test]
    fn scientific_text() {
        assert_eq!(n("1e400").to_scientific_string(), "1e+400");
        assert_eq!(n("-0.00125").to_scientific_string(), "-1.25e-3");
        assert_eq!(n("0").to_scientific_string(), "0");
        assert_eq!(Number::infinity(true).to_scientific_string(), "-Infinity");
        assert_eq!(n(&n("123.456").to_scientific_string()), n("123.456"));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "-",
            ".",
            "e5",
            "1e",
            "1e+",
            "1.2.3",
            "0x10",
            " 1",
            "1 ",
            "NaN",
            "1e99999999999",
            "1_0",
        ] {
            assert!(bad.parse::<Number>().is_err(), "{bad:?} parsed");
        }
        assert_eq!(n(".5"), n("0.5"));
        assert_eq!(n("5."), n("5"));
    }

    #[test]
    fn ordering_is_numeric() {
        let mut v = [
            n("10"),
            n("-Infinity"),
            n("0.5"),
            n("-2"),
            n("Infinity"),
            n("0"),
            n("-10.5"),
            n("9.99"),
        ];
        v.sort();
        let text: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "-Infinity",
                "-10.5",
                "-2",
                "0",
                "0.5",
                "9.99",
                "10",
                "Infinity"
            ]
        );
    }
}
