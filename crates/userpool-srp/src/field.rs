//! Arithmetic modulo the 3072-bit group prime N, in Montgomery form.
//!
//! Elements are 48 little-endian 64-bit limbs ([`Fe`]), always fully reduced (`< N`).
//! Montgomery multiplication and squaring are written here (product scanning with the
//! reduction interleaved, a dedicated squaring) because they are the whole cost of SRP and
//! this shape measured 15% (multiplication) to 25% (squaring) faster than the generic
//! `FixedMontyForm` arithmetic of `crypto-bigint` 0.7 for this size on x86-64. `crypto-bigint` still provides the Montgomery
//! parameters (`R² mod N`), the wide reductions of untrusted inputs, and is the oracle the
//! tests compare this module against.
//!
//! Everything that touches secret values is constant time: no branch and no memory index
//! depends on a limb value. Loop bounds, window counts and exponent *bit bounds* are public
//! sizes. Table look-ups read every entry.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use crypto_bigint::{NonZero, Odd, U3072, U8192, modular::FixedMontyParams};
use zeroize::Zeroize;

/// Number of 64-bit limbs of an element.
pub(crate) const LIMBS: usize = 48;
/// Bytes of a fixed-width big-endian element.
pub(crate) const BYTES: usize = LIMBS * 8;

/// An element of Z/NZ in Montgomery form (or a plain integer `< N`, depending on context),
/// little-endian limbs.
pub(crate) type Fe = [u64; LIMBS];

/// The RFC 3526 / RFC 5054 3072-bit MODP prime.
pub(crate) const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

/// N as `crypto-bigint` integer.
pub(crate) const N_UINT: U3072 = U3072::from_be_hex(N_HEX);

/// N as limbs (evaluated at compile time).
pub(crate) const N: Fe = limbs_from_hex(N_HEX);

/// `-N⁻¹ mod 2⁶⁴`, the Montgomery constant (evaluated at compile time; it is 1 for this N,
/// whose lowest 64 bits are all ones).
const N0INV: u64 = neg_inv_u64(N[0]);

const fn hex_val(c: u8) -> u64 {
    match c {
        b'0'..=b'9' => (c - b'0') as u64,
        b'a'..=b'f' => (c - b'a' + 10) as u64,
        b'A'..=b'F' => (c - b'A' + 10) as u64,
        _ => panic!("invalid hex digit in a constant"),
    }
}

/// Parses a constant big-endian hex string of exactly `16 * LIMBS` digits.
const fn limbs_from_hex(hex: &str) -> Fe {
    let bytes = hex.as_bytes();
    assert!(bytes.len() == LIMBS * 16, "constant has the wrong length");
    let mut out = [0u64; LIMBS];
    let mut i = 0;
    while i < LIMBS {
        // limb i holds digits [len - 16(i+1), len - 16i)
        let start = bytes.len() - 16 * (i + 1);
        let mut v = 0u64;
        let mut j = 0;
        while j < 16 {
            v = (v << 4) | hex_val(bytes[start + j]);
            j += 1;
        }
        out[i] = v;
        i += 1;
    }
    out
}

/// `-x⁻¹ mod 2⁶⁴` for odd `x` (Newton iteration).
const fn neg_inv_u64(x: u64) -> u64 {
    assert!(x & 1 == 1, "modulus must be odd");
    let mut inv: u64 = 1;
    let mut i = 0;
    while i < 7 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(x.wrapping_mul(inv)));
        i += 1;
    }
    inv.wrapping_neg()
}

/// Precomputed constants of the group, built once.
pub(crate) struct Consts {
    /// `R² mod N` (R = 2³⁰⁷²), to enter Montgomery form.
    r2: Fe,
    /// `R mod N`: 1 in Montgomery form.
    pub(crate) one: Fe,
    /// N as a non-zero `crypto-bigint` integer, for reductions of wide public inputs.
    pub(crate) n_nz: NonZero<U3072>,
}

static CONSTS: OnceLock<Consts> = OnceLock::new();

/// The group constants (computed on first use).
pub(crate) fn consts() -> &'static Consts {
    CONSTS.get_or_init(|| {
        // N is a fixed, odd, non-zero constant: neither check can fail.
        let odd = Odd::new(N_UINT).expect("N, the RFC 3526 prime, is odd");
        let params = FixedMontyParams::new_vartime(odd);
        let r2 = fe_from_uint(params.r2());
        let one = fe_from_uint(params.one());
        Consts {
            r2,
            one,
            n_nz: NonZero::new(N_UINT).expect("N, the RFC 3526 prime, is not zero"),
        }
    })
}

/// Converts a `crypto-bigint` integer to limbs (independent of the platform's word size).
pub(crate) fn fe_from_uint(x: &U3072) -> Fe {
    let bytes = x.to_le_bytes();
    let mut out = [0u64; LIMBS];
    for (limb, chunk) in out.iter_mut().zip(bytes.as_ref().chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(b);
    }
    out
}

/// Converts limbs to a fixed-width 384-byte big-endian encoding.
pub(crate) fn fe_to_be_bytes(x: &Fe) -> [u8; BYTES] {
    let mut out = [0u8; BYTES];
    for (i, limb) in x.iter().enumerate() {
        let at = BYTES - 8 * (i + 1);
        out[at..at + 8].copy_from_slice(&limb.to_be_bytes());
    }
    out
}

/// Reads up to 384 big-endian bytes (shorter input is zero-extended at the top).
/// Returns `None` if the value has more than 384 significant bytes.
pub(crate) fn fe_from_be_bytes(bytes: &[u8]) -> Option<Fe> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let bytes = &bytes[first..];
    if bytes.len() > BYTES {
        return None;
    }
    let mut padded = [0u8; BYTES];
    padded[BYTES - bytes.len()..].copy_from_slice(bytes);
    let mut out = [0u64; LIMBS];
    for (i, limb) in out.iter_mut().enumerate() {
        let at = BYTES - 8 * (i + 1);
        let mut b = [0u8; 8];
        b.copy_from_slice(&padded[at..at + 8]);
        *limb = u64::from_be_bytes(b);
    }
    Some(out)
}

/// Reduces a big-endian public integer of at most 1024 bytes modulo N (variable time: only
/// for public values such as A and B).
pub(crate) fn reduce_public(bytes: &[u8]) -> Option<Fe> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let bytes = &bytes[first..];
    if bytes.len() > U8192::BYTES {
        return None;
    }
    let mut padded = [0u8; U8192::BYTES];
    padded[U8192::BYTES - bytes.len()..].copy_from_slice(bytes);
    let wide = U8192::from_be_slice(&padded);
    let reduced: U3072 = wide.rem_vartime(&consts().n_nz);
    Some(fe_from_uint(&reduced))
}

/// True if `x == 0` (constant time).
pub(crate) fn is_zero(x: &Fe) -> bool {
    let acc = x.iter().fold(0u64, |acc, &l| acc | l);
    bool::from(subtle::ConstantTimeEq::ct_eq(&acc, &0u64))
}

/// True if `x < N` (constant time).
pub(crate) fn is_below_n(x: &Fe) -> bool {
    let mut borrow = false;
    for (&xi, &ni) in x.iter().zip(N.iter()) {
        borrow = xi.borrowing_sub(ni, borrow).1;
    }
    borrow
}

/// Constant-time equality.
pub(crate) fn ct_eq(a: &Fe, b: &Fe) -> subtle::Choice {
    let acc = a.iter().zip(b).fold(0u64, |acc, (x, y)| acc | (x ^ y));
    subtle::ConstantTimeEq::ct_eq(&acc, &0u64)
}

/// A mask of all ones if `bit == 1`, else zero, hidden from the optimiser so that it
/// stays a data dependency rather than becoming a branch.
#[inline(always)]
fn mask_from_bit(bit: u64) -> u64 {
    core::hint::black_box(0u64.wrapping_sub(bit & 1))
}

/// `out = x - N` if `carry == 1` or `x >= N`, else `x` (constant time). Valid when the
/// true value `carry·2³⁰⁷² + x` is below `2N`.
#[inline(always)]
fn reduce_once(x: &mut Fe, carry: u64) {
    let mut diff = [0u64; LIMBS];
    let mut borrow = false;
    for ((d, &xi), &ni) in diff.iter_mut().zip(x.iter()).zip(N.iter()) {
        let (v, b) = xi.borrowing_sub(ni, borrow);
        *d = v;
        borrow = b;
    }
    // take the difference when there was a carry out, or when no borrow happened
    let take = carry | (!borrow as u64);
    let mask = mask_from_bit(take);
    for (xi, di) in x.iter_mut().zip(diff.iter()) {
        *xi = (*di & mask) | (*xi & !mask);
    }
}

/// Three-word accumulator step: `(lo, hi, top) += a * b`.
#[inline(always)]
fn mac(lo: &mut u64, hi: &mut u64, top: &mut u64, a: u64, b: u64) {
    let p = (a as u128) * (b as u128);
    let (l, c) = lo.overflowing_add(p as u64);
    let (h, c2) = hi.carrying_add((p >> 64) as u64, c);
    *lo = l;
    *hi = h;
    *top += c2 as u64;
}

/// Montgomery multiplication: `a·b·R⁻¹ mod N`, for `a, b < N`.
///
/// Product scanning ("FIPS"): column `k` of `a·b` and of `m·N` is accumulated in three
/// words, the Montgomery digit `m[k]` is chosen to clear the low word, and the
/// accumulator shifts one limb down. The result `(a·b + m·N) / R` is below `2N`; one
/// constant-time conditional subtraction reduces it.
pub(crate) fn mul(a: &Fe, b: &Fe) -> Fe {
    let mut m = [0u64; LIMBS];
    let mut out = [0u64; LIMBS];
    let (mut lo, mut hi, mut top) = (0u64, 0u64, 0u64);
    for k in 0..LIMBS {
        for i in 0..k {
            mac(&mut lo, &mut hi, &mut top, a[i], b[k - i]);
            mac(&mut lo, &mut hi, &mut top, m[i], N[k - i]);
        }
        mac(&mut lo, &mut hi, &mut top, a[k], b[0]);
        let mk = lo.wrapping_mul(N0INV);
        m[k] = mk;
        mac(&mut lo, &mut hi, &mut top, mk, N[0]);
        // the low word is now zero by construction
        (lo, hi, top) = (hi, top, 0);
    }
    for k in LIMBS..2 * LIMBS - 1 {
        for i in k + 1 - LIMBS..LIMBS {
            mac(&mut lo, &mut hi, &mut top, a[i], b[k - i]);
            mac(&mut lo, &mut hi, &mut top, m[i], N[k - i]);
        }
        out[k - LIMBS] = lo;
        (lo, hi, top) = (hi, top, 0);
    }
    out[LIMBS - 1] = lo;
    m.zeroize();
    reduce_once(&mut out, hi);
    out
}

/// Montgomery squaring: `a²·R⁻¹ mod N`, for `a < N`.
///
/// As [`mul`], but each off-diagonal product `a[i]·a[j]` (i < j) is computed once and
/// doubled: about 3/4 of the multiplications of [`mul`].
pub(crate) fn sqr(a: &Fe) -> Fe {
    let mut m = [0u64; LIMBS];
    let mut out = [0u64; LIMBS];
    let (mut lo, mut hi, mut top) = (0u64, 0u64, 0u64);
    for k in 0..2 * LIMBS - 1 {
        let start = k.saturating_sub(LIMBS - 1);
        let half = k.div_ceil(2);
        let end = if k < LIMBS { k } else { LIMBS };
        // off-diagonal products of column k, in their own accumulator (doubled below),
        // interleaved with the reduction products m[i]·N[k-i]
        let (mut slo, mut shi, mut stop) = (0u64, 0u64, 0u64);
        for i in start..half {
            mac(&mut slo, &mut shi, &mut stop, a[i], a[k - i]);
            mac(&mut lo, &mut hi, &mut top, m[i], N[k - i]);
        }
        for i in half..end {
            mac(&mut lo, &mut hi, &mut top, m[i], N[k - i]);
        }
        stop = (stop << 1) | (shi >> 63);
        shi = (shi << 1) | (slo >> 63);
        slo <<= 1;
        if k % 2 == 0 {
            mac(&mut slo, &mut shi, &mut stop, a[k / 2], a[k / 2]);
        }
        let (l, c) = lo.overflowing_add(slo);
        let (h, c2) = hi.carrying_add(shi, c);
        lo = l;
        hi = h;
        top += stop + c2 as u64;
        if k < LIMBS {
            let mk = lo.wrapping_mul(N0INV);
            m[k] = mk;
            mac(&mut lo, &mut hi, &mut top, mk, N[0]);
        } else {
            out[k - LIMBS] = lo;
        }
        (lo, hi, top) = (hi, top, 0);
    }
    out[LIMBS - 1] = lo;
    m.zeroize();
    reduce_once(&mut out, hi);
    out
}

/// `a + b mod N` for `a, b < N`.
pub(crate) fn add(a: &Fe, b: &Fe) -> Fe {
    let mut out = [0u64; LIMBS];
    let mut carry = false;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let (v, c) = x.carrying_add(y, carry);
        *o = v;
        carry = c;
    }
    reduce_once(&mut out, carry as u64);
    out
}

/// `a - b mod N` for `a, b < N`.
pub(crate) fn sub(a: &Fe, b: &Fe) -> Fe {
    let mut out = [0u64; LIMBS];
    let mut borrow = false;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let (v, c) = x.borrowing_sub(y, borrow);
        *o = v;
        borrow = c;
    }
    // add N back if the subtraction wrapped
    let mask = mask_from_bit(borrow as u64);
    let mut carry = false;
    for (o, &n) in out.iter_mut().zip(N.iter()) {
        let (v, c) = o.carrying_add(n & mask, carry);
        *o = v;
        carry = c;
    }
    out
}

/// `2a mod N` for `a < N`.
#[inline(always)]
fn double(a: &Fe) -> Fe {
    let mut out = [0u64; LIMBS];
    let mut carry = 0u64;
    for (o, &x) in out.iter_mut().zip(a) {
        *o = (x << 1) | carry;
        carry = x >> 63;
    }
    reduce_once(&mut out, carry);
    out
}

/// Enters Montgomery form: `x·R mod N` for `x < N`.
pub(crate) fn to_mont(x: &Fe) -> Fe {
    mul(x, &consts().r2)
}

/// Leaves Montgomery form: `x·R⁻¹ mod N`.
pub(crate) fn from_mont(x: &Fe) -> Fe {
    let mut one = [0u64; LIMBS];
    one[0] = 1;
    mul(x, &one)
}

/// Bits `[pos, pos + width)` of a little-endian exponent (zero beyond its end).
/// `pos` and `width` are public; only the returned value is secret.
#[inline(always)]
fn window(e: &[u64], pos: u32, width: u32) -> u64 {
    let limb = (pos / 64) as usize;
    let shift = pos % 64;
    let lo = e.get(limb).copied().unwrap_or(0) >> shift;
    let hi = if shift + width > 64 {
        e.get(limb + 1).copied().unwrap_or(0) << (64 - shift)
    } else {
        0
    };
    (lo | hi) & ((1u64 << width) - 1)
}

/// As [`window`], with the bits at or above the public bound `bits` read as zero.
#[inline(always)]
fn window_below(e: &[u64], pos: u32, width: u32, bits: u32) -> u64 {
    let keep = bits.saturating_sub(pos).min(width);
    window(e, pos, width) & ((1u64 << keep) - 1)
}

/// Constant-time table look-up: `table[idx]`, reading all of `table`.
#[inline(always)]
fn select(table: &[Fe], idx: u64) -> Fe {
    let mut out = [0u64; LIMBS];
    for (j, entry) in table.iter().enumerate() {
        let eq = subtle::ConstantTimeEq::ct_eq(&(j as u64), &idx);
        let mask = 0u64.wrapping_sub(eq.unwrap_u8() as u64);
        for (o, &t) in out.iter_mut().zip(entry.iter()) {
            *o |= t & mask;
        }
    }
    out
}

/// `base^e` in Montgomery form, for `base` in Montgomery form and a little-endian exponent
/// of which only the low `bits` bits are used (`bits` is a public bound, not the secret
/// exact length). Fixed windows, constant time in the exponent and the base.
pub(crate) fn pow(base: &Fe, e: &[u64], bits: u32) -> Fe {
    const MAX_W: usize = 5;
    let w: u32 = if bits > 512 { 5 } else { 4 };
    let size = 1usize << w;
    let mut table = [[0u64; LIMBS]; 1 << MAX_W];
    table[0] = consts().one;
    table[1] = *base;
    for i in 2..size {
        table[i] = if i % 2 == 0 {
            sqr(&table[i / 2])
        } else {
            mul(&table[i - 1], base)
        };
    }
    let table_used = &table[..size];
    let windows = bits.div_ceil(w);
    let mut z = consts().one;
    for i in (0..windows).rev() {
        let digit = window_below(e, i * w, w, bits);
        let mut t = select(table_used, digit);
        if i + 1 == windows {
            z = t;
        } else {
            for _ in 0..w {
                z = sqr(&z);
            }
            z = mul(&z, &t);
        }
        t.zeroize();
    }
    table.zeroize();
    z
}

/// Bit `pos` of a little-endian exponent, or 0 at or above the public bound `bits`.
#[inline(always)]
fn bit_below(e: &[u64], pos: u32, bits: u32) -> u64 {
    if pos < bits { window(e, pos, 1) } else { 0 }
}

/// `g^e` (g = 2) in Montgomery form for a little-endian exponent of which only the low
/// `bits` bits are used (a public bound).
///
/// With the fixed-base comb ([`Comb`]) once it exists, else by the binary method
/// ([`pow_g_binary`]); both are constant time and give the same value.
pub(crate) fn pow_g(e: &[u64], bits: u32) -> Fe {
    match comb_for(bits) {
        Some(comb) => comb.pow(e, bits),
        None => pow_g_binary(e, bits),
    }
}

/// `g^e` by the left-to-right binary method, where "multiply by g" is a modular doubling
/// (about 1/60 of a multiplication): one squaring per exponent bit. The doubling is always
/// computed and selected by the (secret) bit without branching.
fn pow_g_binary(e: &[u64], bits: u32) -> Fe {
    let mut z = consts().one;
    for i in (0..bits).rev() {
        z = sqr(&z);
        let d = double(&z);
        let bit = window(e, i, 1);
        let mask = mask_from_bit(bit);
        for (zi, di) in z.iter_mut().zip(d.iter()) {
            *zi = (*di & mask) | (*zi & !mask);
        }
    }
    z
}

/// Teeth of the comb: each table is indexed by this many exponent bits.
const COMB_W: u32 = 6;
/// Distance between two teeth, in exponent bits: an exponentiation with the comb does
/// `COMB_D - 1` squarings.
const COMB_D: u32 = 16;
/// Exponent bits the comb covers: the client's `a` (1024 bits), and so the server's `b`
/// and `x` (256 each). Longer exponents (only possible through `with_private_key`) take
/// the binary method.
const COMB_BITS: u32 = 1024;
/// Bits covered by one table.
const COMB_SPAN: u32 = COMB_W * COMB_D;
/// Number of tables.
const COMB_TABLES: usize = COMB_BITS.div_ceil(COMB_SPAN) as usize;
/// Entries of one table (entry 0 is 1, so that a zero index needs no special case).
const COMB_ENTRIES: usize = 1 << COMB_W;

/// Fixed-base comb for `g = 2` (Lim–Lee): table `t`, entry `idx`, is the product of
/// `g^(2^((t·W + r)·D))` over the set bits `r` of `idx`, in Montgomery form.
///
/// Exponent bit `j` is tooth `j / D` (table `j / (W·D)`, index bit `(j / D) mod W`) in
/// column `j mod D`. `g^e` is then `D` columns, from the highest: square, then multiply by
/// one entry of each table whose span reaches below the bit bound. For the client's
/// 1024-bit `a`: 15 squarings and 175 multiplications instead of 1024 squarings; for the
/// server's `b` and for `x` (256 bits each) 15 and 47.
///
/// The shape was chosen by measurement (instruction counts and wall time of `g^a`, `g^b`
/// and `g^x`; see `docs/srp.md`): 6 teeth and a spacing of 16 beat 4 or 5 teeth and
/// longer spacings, and 7 teeth would need 480 KiB. 11 tables × 64 entries × 384 bytes =
/// 264 KiB, built once (1056 squarings and 627 multiplications).
struct Comb {
    tables: Vec<[Fe; COMB_ENTRIES]>,
}

impl Comb {
    fn build() -> Comb {
        let c = consts();
        // g^(2^(k·D)) for the current tooth k, starting from g itself
        let mut tooth = double(&c.one);
        let mut tables = Vec::with_capacity(COMB_TABLES);
        for _ in 0..COMB_TABLES {
            let mut table = [[0u64; LIMBS]; COMB_ENTRIES];
            table[0] = c.one;
            for r in 0..COMB_W as usize {
                let high = 1usize << r;
                table[high] = tooth;
                for low in 1..high {
                    table[high + low] = mul(&table[low], &tooth);
                }
                for _ in 0..COMB_D {
                    tooth = sqr(&tooth);
                }
            }
            tables.push(table);
        }
        Comb { tables }
    }

    /// `g^e` for the low `bits` bits of `e` (`bits <= COMB_BITS`). Constant time: the
    /// loop shape depends only on `bits`, and every look-up reads the whole table.
    fn pow(&self, e: &[u64], bits: u32) -> Fe {
        let used = (bits.div_ceil(COMB_SPAN) as usize).min(self.tables.len());
        let mut z = consts().one;
        let mut first = true;
        for col in (0..COMB_D).rev() {
            if !first {
                z = sqr(&z);
            }
            for (t, table) in self.tables[..used].iter().enumerate() {
                let mut idx = 0u64;
                for r in 0..COMB_W {
                    let pos = (t as u32 * COMB_W + r) * COMB_D + col;
                    idx |= bit_below(e, pos, bits) << r;
                }
                let mut entry = select(table, idx);
                idx.zeroize();
                // the first product is 1 · entry: a copy (the position is public)
                z = if first { entry } else { mul(&z, &entry) };
                first = false;
                entry.zeroize();
            }
        }
        z
    }
}

static COMB: OnceLock<Comb> = OnceLock::new();

/// Fixed-base exponentiations done before the comb existed.
static UNTABLED_USES: AtomicU32 = AtomicU32::new(0);

/// Fixed-base exponentiations a process does without the comb before building it: the
/// two of one client sign-in (`g^a`, `g^x`). Building the comb costs a little more than
/// one `g^a` by the binary method, so a process that signs in once (a command-line
/// client) is cheaper without it, and one that signs in twice or more is cheaper with it.
const UNTABLED_LIMIT: u32 = 2;

/// The comb, if `bits` is within its reach and it exists or it is time to build it.
fn comb_for(bits: u32) -> Option<&'static Comb> {
    if bits > COMB_BITS {
        return None;
    }
    if let Some(comb) = COMB.get() {
        return Some(comb);
    }
    if UNTABLED_USES.fetch_add(1, Ordering::Relaxed) < UNTABLED_LIMIT {
        return None;
    }
    Some(COMB.get_or_init(Comb::build))
}

/// Builds the fixed-base comb now.
pub(crate) fn precompute() {
    COMB.get_or_init(Comb::build);
}

/// Little-endian limbs of a big-endian byte string of at most `8 * L` bytes.
pub(crate) fn limbs_from_be<const L: usize>(bytes: &[u8]) -> Option<[u64; L]> {
    if bytes.len() > 8 * L {
        return None;
    }
    let mut out = [0u64; L];
    for (i, &b) in bytes.iter().rev().enumerate() {
        out[i / 8] |= (b as u64) << (8 * (i % 8));
    }
    Some(out)
}

/// Minimal big-endian bytes (no leading zeros; empty for zero) of a field element.
pub(crate) fn fe_to_minimal_be(x: &Fe) -> Vec<u8> {
    let full = fe_to_be_bytes(x);
    let first = full.iter().position(|&b| b != 0).unwrap_or(BYTES);
    full[first..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_bigint::modular::FixedMontyForm;

    fn params() -> FixedMontyParams<{ U3072::LIMBS }> {
        FixedMontyParams::new_vartime(Odd::new(N_UINT).unwrap())
    }

    /// Deterministic pseudo-random element below N.
    fn sample(seed: u64) -> Fe {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut x = [0u64; LIMBS];
        for l in x.iter_mut() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            *l = s;
        }
        // values with the top limb all ones are likely >= N; clear a bit to stay below
        x[LIMBS - 1] &= 0x7fff_ffff_ffff_ffff;
        x
    }

    fn to_uint(x: &Fe) -> U3072 {
        U3072::from_be_slice(&fe_to_be_bytes(x))
    }

    #[test]
    fn constants() {
        assert_eq!(N0INV, 1, "N = -1 mod 2^64");
        assert_eq!(
            fe_to_be_bytes(&N).to_vec(),
            N_UINT.to_be_bytes().as_ref().to_vec()
        );
        let c = consts();
        assert_eq!(from_mont(&c.one)[0], 1);
        assert!(from_mont(&c.one)[1..].iter().all(|&l| l == 0));
    }

    #[test]
    fn mul_and_sqr_match_crypto_bigint() {
        let p = params();
        let mut edge = [[0u64; LIMBS]; 4];
        edge[1][0] = 1;
        edge[2] = N;
        edge[2][0] -= 1; // N - 1
        edge[3] = [u64::MAX; LIMBS];
        edge[3][LIMBS - 1] = 0; // 2^3008 - 1
        let mut samples: Vec<Fe> = (1..40).map(sample).collect();
        samples.extend_from_slice(&edge);
        for a in &samples {
            let am = FixedMontyForm::new(&to_uint(a), &p);
            let expect_sq = fe_from_uint(am.square().as_montgomery());
            assert_eq!(sqr(&fe_from_uint(am.as_montgomery())), expect_sq);
            assert_eq!(sqr(a), mul(a, a));
            for b in samples.iter().take(12) {
                let bm = FixedMontyForm::new(&to_uint(b), &p);
                // our mul on the raw Montgomery representations
                let got = mul(
                    &fe_from_uint(am.as_montgomery()),
                    &fe_from_uint(bm.as_montgomery()),
                );
                assert_eq!(got, fe_from_uint(am.mul(&bm).as_montgomery()));
                assert_eq!(
                    from_mont(&mul(&to_mont(a), &to_mont(b))),
                    fe_from_uint(&am.mul(&bm).retrieve())
                );
            }
        }
    }

    #[test]
    fn add_sub_double() {
        let p = params();
        for s in 1..30 {
            let a = sample(s);
            let b = sample(s + 100);
            let am = FixedMontyForm::new(&to_uint(&a), &p);
            let bm = FixedMontyForm::new(&to_uint(&b), &p);
            assert_eq!(add(&a, &b), fe_from_uint(&(am + bm).retrieve()));
            assert_eq!(sub(&a, &b), fe_from_uint(&(am - bm).retrieve()));
            assert_eq!(sub(&b, &a), fe_from_uint(&(bm - am).retrieve()));
            assert_eq!(double(&a), fe_from_uint(&(am + am).retrieve()));
        }
        let mut n1 = N;
        n1[0] -= 1;
        assert_eq!(
            double(&n1),
            sub(&n1, &{
                let mut one = [0u64; LIMBS];
                one[0] = 1;
                one
            })
        );
    }

    #[test]
    fn pow_matches_crypto_bigint() {
        let p = params();
        for s in 1..6u64 {
            let base = sample(s);
            let e_bytes: Vec<u8> = (0..161u32)
                .map(|i| (i as u8).wrapping_mul(s as u8 * 29 + 7))
                .collect();
            let e = limbs_from_be::<64>(&e_bytes).unwrap();
            let bits = 161 * 8;
            let mut e_full = [0u8; 512];
            e_full[512 - e_bytes.len()..].copy_from_slice(&e_bytes);
            let e_uint = crypto_bigint::U4096::from_be_slice(&e_full);
            let expect = FixedMontyForm::new(&to_uint(&base), &p).pow_bounded_exp(&e_uint, bits);
            let got = pow(&to_mont(&base), &e, bits);
            assert_eq!(from_mont(&got), fe_from_uint(&expect.retrieve()));
            // g^e by the binary method (1288 bits: beyond the comb)
            let two = FixedMontyForm::new(&U3072::from_u8(2), &p);
            let expect_g = fe_from_uint(&two.pow_bounded_exp(&e_uint, bits).retrieve());
            assert_eq!(from_mont(&pow_g_binary(&e, bits)), expect_g);
            assert_eq!(from_mont(&pow_g(&e, bits)), expect_g);
        }
        // exponent zero and small
        assert_eq!(from_mont(&pow_g_binary(&[0; 4], 256))[0], 1);
        assert_eq!(from_mont(&pow_g_binary(&[5, 0, 0, 0], 256))[0], 32);
        assert_eq!(from_mont(&pow_g(&[5], 64))[0], 32);
        assert_eq!(
            from_mont(&pow(
                &to_mont(&{
                    let mut three = [0u64; LIMBS];
                    three[0] = 3;
                    three
                }),
                &[4],
                3
            ))[0],
            81
        );
    }

    /// `2^e mod N` by crypto-bigint's generic exponentiation (the oracle), for the low
    /// `bits` bits of a little-endian exponent.
    fn oracle_pow2(e: &[u64], bits: u32) -> Fe {
        let mut limbs = [0u64; 64];
        for (i, l) in limbs.iter_mut().enumerate() {
            let keep = (bits as usize).saturating_sub(64 * i).min(64);
            let mask = if keep == 64 {
                u64::MAX
            } else {
                (1u64 << keep) - 1
            };
            *l = e.get(i).copied().unwrap_or(0) & mask;
        }
        let mut be = [0u8; 512];
        for (i, l) in limbs.iter().enumerate() {
            be[512 - 8 * (i + 1)..512 - 8 * i].copy_from_slice(&l.to_be_bytes());
        }
        let e_uint = crypto_bigint::U4096::from_be_slice(&be);
        let two = FixedMontyForm::new(&U3072::from_u8(2), &params());
        fe_from_uint(&two.pow(&e_uint).retrieve())
    }

    fn test_comb() -> &'static Comb {
        static TEST_COMB: OnceLock<Comb> = OnceLock::new();
        TEST_COMB.get_or_init(Comb::build)
    }

    #[test]
    fn comb_shape() {
        let comb = test_comb();
        assert_eq!(comb.tables.len(), COMB_TABLES);
        assert!(COMB_TABLES as u32 * COMB_SPAN >= COMB_BITS);
        // entry 2^r of table t is g^(2^((t·W + r)·D)); entry 0 is 1
        for (t, table) in comb.tables.iter().enumerate() {
            assert_eq!(table[0], consts().one);
            for r in 0..COMB_W {
                let k = (t as u32 * COMB_W + r) * COMB_D;
                let mut e = [0u64; 32];
                e[(k / 64) as usize] = 1 << (k % 64);
                assert_eq!(
                    from_mont(&table[1 << r]),
                    oracle_pow2(&e, 2048),
                    "tooth {k}"
                );
            }
        }
    }

    #[test]
    fn comb_edges() {
        let comb = test_comb();
        let ones = [u64::MAX; 17];
        for bits in [1, 7, 63, 64, 65, 79, 80, 81, 256, 384, 1000, 1023, 1024] {
            // only the low `bits` bits count, whatever lies above
            assert_eq!(
                from_mont(&comb.pow(&ones, bits)),
                oracle_pow2(&ones, bits),
                "{bits} bits"
            );
            assert_eq!(from_mont(&comb.pow(&[0; 16], bits)), oracle_pow2(&[0], 1));
        }
        assert_eq!(from_mont(&comb.pow(&[5], 8))[0], 32);
        assert_eq!(from_mont(&comb.pow(&[5], 0))[0], 1);
    }

    #[test]
    fn comb_is_built_after_the_untabled_uses_and_on_request() {
        for _ in 0..=UNTABLED_LIMIT {
            pow_g(&[3], 256);
        }
        assert!(COMB.get().is_some());
        precompute();
        assert_eq!(from_mont(&pow_g(&[5, 0, 0, 0], 256))[0], 32);
        // beyond the comb's reach the binary method answers
        let e = [u64::MAX; 17];
        assert_eq!(from_mont(&pow_g(&e, 1088)), oracle_pow2(&e, 1088));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// The comb and the binary method against crypto-bigint on random exponents of
        /// the sizes SRP uses (a: 1024 bits, b and x: 256) and any size in between.
        #[test]
        fn fixed_base_matches_crypto_bigint(
            e in proptest::collection::vec(proptest::prelude::any::<u64>(), 16),
            bits in proptest::prop_oneof![
                proptest::strategy::Just(1024u32),
                proptest::strategy::Just(384u32),
                proptest::strategy::Just(256u32),
                1u32..=1024,
            ],
        ) {
            let expect = oracle_pow2(&e, bits);
            proptest::prop_assert_eq!(from_mont(&test_comb().pow(&e, bits)), expect);
            proptest::prop_assert_eq!(from_mont(&pow_g_binary(&e, bits)), expect);
        }

        /// The variable-base window method against crypto-bigint.
        #[test]
        fn variable_base_matches_crypto_bigint(
            seed in proptest::prelude::any::<u64>(),
            e in proptest::collection::vec(proptest::prelude::any::<u64>(), 17),
            bits in proptest::prop_oneof![
                proptest::strategy::Just(1025u32),
                proptest::strategy::Just(384u32),
                proptest::strategy::Just(256u32),
                1u32..=1088,
            ],
        ) {
            let base = sample(seed);
            let mut be = [0u8; 512];
            for (i, l) in e.iter().enumerate() {
                let keep = (bits as usize).saturating_sub(64 * i).min(64);
                let mask = if keep == 64 { u64::MAX } else { (1u64 << keep) - 1 };
                be[512 - 8 * (i + 1)..512 - 8 * i].copy_from_slice(&(l & mask).to_be_bytes());
            }
            let e_uint = crypto_bigint::U4096::from_be_slice(&be);
            let expect = FixedMontyForm::new(&to_uint(&base), &params()).pow(&e_uint);
            let got = pow(&to_mont(&base), &e, bits);
            proptest::prop_assert_eq!(from_mont(&got), fe_from_uint(&expect.retrieve()));
        }
    }

    #[test]
    fn window_extraction() {
        let e = [0xfedc_ba98_7654_3210u64, 0x0123_4567_89ab_cdef];
        assert_eq!(window(&e, 0, 4), 0);
        assert_eq!(window(&e, 4, 4), 1);
        assert_eq!(window(&e, 60, 4), 0xf);
        assert_eq!(
            window(&e, 62, 5),
            0b11111 & ((0xfedc_ba98_7654_3210u64 >> 62) | (0xef << 2))
        );
        assert_eq!(window(&e, 125, 5), 0);
        assert_eq!(window(&e, 200, 5), 0);
    }

    #[test]
    fn reduce_public_wide() {
        let nb = fe_to_be_bytes(&N);
        assert!(is_zero(&reduce_public(&nb).unwrap()));
        // 2N
        let two_n = {
            let mut v = vec![0u8; 1];
            v.extend_from_slice(&nb);
            let mut carry = 0u16;
            for b in v.iter_mut().rev() {
                let x = (*b as u16) * 2 + carry;
                *b = x as u8;
                carry = x >> 8;
            }
            v
        };
        assert!(is_zero(&reduce_public(&two_n).unwrap()));
        assert!(reduce_public(&vec![1u8; 1025]).is_none());
        assert_eq!(reduce_public(&[7]).unwrap()[0], 7);
    }
}
