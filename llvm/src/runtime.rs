//! Runtime helpers that kernels call for operations whose CPython algorithm is not a libm
//! call: `pow(a, e, m)`, `math.hypot` (CPython's own `vector_norm`) and `round(x, n)` on
//! floats (CPython rounds through a correctly rounded decimal string). They are registered
//! in the JIT as absolute symbols.

/// `pow(a, e, m)` for `e >= 0`, `m != 0`, with Python's floor-mod sign rule. Total: any
/// arguments return (a lane-parallel kernel calls helpers for lanes whose result it then
/// discards, and a panic here would abort the process): `m == 0` gives 0.
pub extern "C" fn gilmap_powmod(a: i64, e: i64, m: i64) -> i64 {
    if m == 0 {
        return 0;
    }
    let m = m as i128;
    let fm = |x: i128| {
        let r = x % m;
        if r != 0 && ((r < 0) != (m < 0)) {
            r + m
        } else {
            r
        }
    };
    let mut base = fm(a as i128);
    let mut result = fm(1);
    let mut e = e as u64;
    while e > 0 {
        if e & 1 == 1 {
            result = fm(result * base);
        }
        e >>= 1;
        if e > 0 {
            base = fm(base * base);
        }
    }
    result as i64
}

/// CPython's `dl_mul`: the exact product as a (hi, lo) pair.
fn dl_mul(x: f64, y: f64) -> (f64, f64) {
    let z = x * y;
    (z, x.mul_add(y, -z))
}

/// CPython's `dl_fast_sum` (requires |a| >= |b|).
fn dl_fast_sum(a: f64, b: f64) -> (f64, f64) {
    let x = a + b;
    let z = x - a;
    (x, b - z)
}

/// CPython's `vector_norm` (Modules/mathmodule.c) for finite, non-negative inputs.
fn vector_norm(vec: &mut [f64], max: f64) -> f64 {
    if max == 0.0 || vec.len() <= 1 {
        return max;
    }
    let (_, max_e) = frexp(max);
    if max_e < -1023 {
        for v in vec.iter_mut() {
            *v /= f64::MIN_POSITIVE;
        }
        return f64::MIN_POSITIVE * vector_norm(vec, max / f64::MIN_POSITIVE);
    }
    let scale = ldexp(1.0, -max_e);
    let (mut csum, mut frac1, mut frac2) = (1.0f64, 0.0f64, 0.0f64);
    for &v in vec.iter() {
        let x = v * scale;
        let (hi, lo) = dl_mul(x, x);
        let (shi, slo) = dl_fast_sum(csum, hi);
        csum = shi;
        frac1 += lo;
        frac2 += slo;
    }
    let mut h = (csum - 1.0 + (frac1 + frac2)).sqrt();
    let (hi, lo) = dl_mul(-h, h);
    let (shi, slo) = dl_fast_sum(csum, hi);
    csum = shi;
    frac1 += lo;
    frac2 += slo;
    let x = csum - 1.0 + (frac1 + frac2);
    h += x / (2.0 * h);
    h / scale
}

fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // subnormal: normalize
        let (m, e) = frexp(x * 2f64.powi(54));
        return (m, e - 54);
    }
    let e = exp - 1022;
    let m = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (m, e)
}

fn ldexp(x: f64, e: i32) -> f64 {
    // Exact for the powers of two used here (|e| <= 1074 split in two steps).
    let half = e / 2;
    x * 2f64.powi(half) * 2f64.powi(e - half)
}

/// `math.hypot(x, y)` exactly as CPython computes it (finite arguments).
pub extern "C" fn gilmap_hypot(x: f64, y: f64) -> f64 {
    let (ax, ay) = (x.abs(), y.abs());
    let mut v = [ax, ay];
    vector_norm(&mut v, ax.max(ay))
}

/// `round(x, n)` for finite `x` and `0 <= n <= 323`: the decimal string correctly
/// rounded (ties to even) to `n` places, read back correctly rounded. Other `n` give NaN
/// (never a huge string: see `gilmap_powmod` on why helpers are total).
pub extern "C" fn gilmap_round_nd(x: f64, n: i64) -> f64 {
    if !(0..=323).contains(&n) {
        return f64::NAN;
    }
    let s = format!("{:.*}", n as usize, x);
    s.parse::<f64>().unwrap_or(f64::NAN)
}

/// The symbols registered in the JIT.
pub fn symbols() -> [(&'static str, usize); 3] {
    [
        ("gilmap_powmod", gilmap_powmod as *const () as usize),
        ("gilmap_hypot", gilmap_hypot as *const () as usize),
        ("gilmap_round_nd", gilmap_round_nd as *const () as usize),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powmod_floor_sign() {
        assert_eq!(gilmap_powmod(2, 5, 13), 6);
        assert_eq!(gilmap_powmod(-2, 5, 13), 7); // -32 % 13 == 7
        assert_eq!(gilmap_powmod(2, 5, -13), -7);
        assert_eq!(gilmap_powmod(1_000_000_000_000_000_000, 5, 13), 1);
        assert_eq!(gilmap_powmod(5, 0, 1), 0);
    }

    #[test]
    fn hypot_simple() {
        assert_eq!(gilmap_hypot(3.0, 4.0), 5.0);
        assert_eq!(gilmap_hypot(0.0, 0.0), 0.0);
        assert_eq!(gilmap_hypot(-4.0, 3.0), 5.0);
    }

    #[test]
    fn round_nd_ties_to_even() {
        assert_eq!(gilmap_round_nd(0.125, 2), 0.12);
        assert_eq!(gilmap_round_nd(2.675, 2), 2.67);
        assert_eq!(gilmap_round_nd(-0.001, 2).to_bits(), (-0.0f64).to_bits());
    }

    /// Lane-parallel kernels call helpers for lanes whose result they discard, with
    /// any arguments: no input may panic (an abort) or run away.
    #[test]
    fn helpers_are_total() {
        assert_eq!(gilmap_powmod(5, 3, 0), 0);
        assert_eq!(gilmap_powmod(i64::MIN, -1, i64::MIN), 0);
        assert_eq!(gilmap_powmod(7, i64::MIN, -1), 0);
        assert!(gilmap_round_nd(1.5, -1).is_nan());
        assert!(gilmap_round_nd(1.5, i64::MAX).is_nan());
        assert!(gilmap_round_nd(f64::NAN, 3).is_nan());
        let _ = gilmap_hypot(f64::INFINITY, f64::NAN);
        let _ = gilmap_hypot(f64::MAX, 5e-324);
    }
}
