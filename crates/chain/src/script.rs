//! Script classes (Bitcoin Core's `Solver` rules), opcode walking and the
//! `asm` rendering Bitcoin Core prints.

use std::fmt::Write as _;

/// The class of an output script, following Bitcoin Core's `Solver`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum ScriptClass {
    /// Anything that matches no template below.
    NonStandard = 0,
    /// Pay to public key (compressed or uncompressed).
    P2pk = 1,
    /// Pay to public key hash.
    P2pkh = 2,
    /// Pay to script hash (BIP 16).
    P2sh = 3,
    /// Bare m-of-n multisig.
    Multisig = 4,
    /// OP_RETURN followed by pushes only.
    NullData = 5,
    /// SegWit v0 key hash.
    P2wpkh = 6,
    /// SegWit v0 script hash.
    P2wsh = 7,
    /// SegWit v1 Taproot output.
    P2tr = 8,
    /// Pay to anchor (`OP_1 <0x4e73>`).
    Anchor = 9,
    /// A witness program of an unknown version or length (v1 non-32-byte, v2-16).
    WitnessUnknown = 10,
}

impl ScriptClass {
    /// Every class, in the order of their numeric codes.
    pub const ALL: [ScriptClass; 11] = [
        Self::NonStandard,
        Self::P2pk,
        Self::P2pkh,
        Self::P2sh,
        Self::Multisig,
        Self::NullData,
        Self::P2wpkh,
        Self::P2wsh,
        Self::P2tr,
        Self::Anchor,
        Self::WitnessUnknown,
    ];

    /// The short name used in chainsleuth's own output (`p2pkh`, `p2tr`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Self::NonStandard => "nonstandard",
            Self::P2pk => "p2pk",
            Self::P2pkh => "p2pkh",
            Self::P2sh => "p2sh",
            Self::Multisig => "multisig",
            Self::NullData => "op_return",
            Self::P2wpkh => "p2wpkh",
            Self::P2wsh => "p2wsh",
            Self::P2tr => "p2tr",
            Self::Anchor => "anchor",
            Self::WitnessUnknown => "witness_unknown",
        }
    }

    /// The type name Bitcoin Core's RPC prints (`pubkeyhash`, `witness_v1_taproot`, ...).
    pub const fn core_name(self) -> &'static str {
        match self {
            Self::NonStandard => "nonstandard",
            Self::P2pk => "pubkey",
            Self::P2pkh => "pubkeyhash",
            Self::P2sh => "scripthash",
            Self::Multisig => "multisig",
            Self::NullData => "nulldata",
            Self::P2wpkh => "witness_v0_keyhash",
            Self::P2wsh => "witness_v0_scripthash",
            Self::P2tr => "witness_v1_taproot",
            Self::Anchor => "anchor",
            Self::WitnessUnknown => "witness_unknown",
        }
    }

    /// The numeric code (stable: it is stored in the index).
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The class with the given numeric code.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }
}

/// An output script decoded into its template and the data the template carries,
/// borrowed from the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination<'a> {
    /// Matches no template.
    NonStandard,
    /// A public key (33 or 65 bytes).
    PubKey(&'a [u8]),
    /// HASH160 of a public key.
    PubKeyHash(&'a [u8; 20]),
    /// HASH160 of a redeem script.
    ScriptHash(&'a [u8; 20]),
    /// Bare multisig.
    Multisig(Multisig<'a>),
    /// OP_RETURN data (the script after the OP_RETURN).
    NullData(&'a [u8]),
    /// SegWit v0 key hash.
    WitnessV0KeyHash(&'a [u8; 20]),
    /// SegWit v0 script hash.
    WitnessV0ScriptHash(&'a [u8; 32]),
    /// Taproot output key.
    Taproot(&'a [u8; 32]),
    /// Pay to anchor.
    Anchor,
    /// Another witness version or program length.
    WitnessUnknown {
        /// Witness version (1-16).
        version: u8,
        /// The witness program (2-40 bytes).
        program: &'a [u8],
    },
}

impl Destination<'_> {
    /// The class of this destination.
    pub fn class(&self) -> ScriptClass {
        match self {
            Self::NonStandard => ScriptClass::NonStandard,
            Self::PubKey(_) => ScriptClass::P2pk,
            Self::PubKeyHash(_) => ScriptClass::P2pkh,
            Self::ScriptHash(_) => ScriptClass::P2sh,
            Self::Multisig(_) => ScriptClass::Multisig,
            Self::NullData(_) => ScriptClass::NullData,
            Self::WitnessV0KeyHash(_) => ScriptClass::P2wpkh,
            Self::WitnessV0ScriptHash(_) => ScriptClass::P2wsh,
            Self::Taproot(_) => ScriptClass::P2tr,
            Self::Anchor => ScriptClass::Anchor,
            Self::WitnessUnknown { .. } => ScriptClass::WitnessUnknown,
        }
    }
}

/// A bare multisig template: m of the n keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Multisig<'a> {
    /// Signatures required (m).
    pub required: u8,
    /// Number of keys (n).
    pub key_count: u8,
    script: &'a [u8],
}

impl<'a> Multisig<'a> {
    /// The public keys, in script order.
    pub fn keys(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        Instructions::new(self.script).skip(1).take(usize::from(self.key_count)).filter_map(|op| op.ok()?.data)
    }
}

/// Size of a public key given its first byte (Bitcoin Core's `CPubKey::ValidSize`).
fn is_valid_pubkey_size(key: &[u8]) -> bool {
    match key.first() {
        Some(2 | 3) => key.len() == 33,
        Some(4 | 6 | 7) => key.len() == 65,
        _ => false,
    }
}

const OP_0: u8 = 0x00;
const OP_PUSHDATA1: u8 = 0x4c;
const OP_PUSHDATA2: u8 = 0x4d;
const OP_PUSHDATA4: u8 = 0x4e;
const OP_1NEGATE: u8 = 0x4f;
const OP_1: u8 = 0x51;
const OP_16: u8 = 0x60;
const OP_RETURN: u8 = 0x6a;
const OP_DUP: u8 = 0x76;
const OP_EQUAL: u8 = 0x87;
const OP_EQUALVERIFY: u8 = 0x88;
const OP_HASH160: u8 = 0xa9;
const OP_CHECKSIG: u8 = 0xac;
const OP_CHECKMULTISIG: u8 = 0xae;
/// Bitcoin Core's `MAX_PUBKEYS_PER_MULTISIG`.
const MAX_MULTISIG_KEYS: i64 = 20;
/// Bitcoin Core's `MAX_SCRIPT_SIZE`.
const MAX_SCRIPT_SIZE: usize = 10_000;

/// Classifies an output script the way Bitcoin Core's `Solver` does.
pub fn classify(script: &[u8]) -> Destination<'_> {
    // P2SH first, as in Core.
    if script.len() == 23 && script[0] == OP_HASH160 && script[1] == 20 && script[22] == OP_EQUAL {
        return Destination::ScriptHash(array_at(script, 2));
    }
    if let Some((version, program)) = witness_program(script) {
        return match (version, program.len()) {
            (0, 20) => Destination::WitnessV0KeyHash(array_at(program, 0)),
            (0, 32) => Destination::WitnessV0ScriptHash(array_at(program, 0)),
            (1, 32) => Destination::Taproot(array_at(program, 0)),
            (1, 2) if program == [0x4e, 0x73] => Destination::Anchor,
            (0, _) => Destination::NonStandard,
            _ => Destination::WitnessUnknown { version, program },
        };
    }
    if script.first() == Some(&OP_RETURN) && is_push_only(&script[1..]) {
        return Destination::NullData(&script[1..]);
    }
    if (script.len() == 35 || script.len() == 67)
        && script[0] as usize == script.len() - 2
        && script[script.len() - 1] == OP_CHECKSIG
    {
        let key = &script[1..script.len() - 1];
        if is_valid_pubkey_size(key) {
            return Destination::PubKey(key);
        }
    }
    if script.len() == 25
        && script[..3] == [OP_DUP, OP_HASH160, 20]
        && script[23] == OP_EQUALVERIFY
        && script[24] == OP_CHECKSIG
    {
        return Destination::PubKeyHash(array_at(script, 3));
    }
    if let Some(multisig) = match_multisig(script) {
        return Destination::Multisig(multisig);
    }
    Destination::NonStandard
}

/// The class of an output script (see [`classify`]).
pub fn script_class(script: &[u8]) -> ScriptClass {
    classify(script).class()
}

fn array_at<const N: usize>(bytes: &[u8], at: usize) -> &[u8; N] {
    // Callers checked the length; a short slice here is a logic error caught by tests.
    bytes[at..at + N].try_into().expect("length checked by caller")
}

/// The version and program of a witness program script (BIP 141), if it is one.
pub fn witness_program(script: &[u8]) -> Option<(u8, &[u8])> {
    if script.len() < 4 || script.len() > 42 {
        return None;
    }
    let version = match script[0] {
        OP_0 => 0,
        op @ OP_1..=OP_16 => op - OP_1 + 1,
        _ => return None,
    };
    (usize::from(script[1]) + 2 == script.len()).then(|| (version, &script[2..]))
}

fn match_multisig(script: &[u8]) -> Option<Multisig<'_>> {
    if script.last() != Some(&OP_CHECKMULTISIG) {
        return None;
    }
    let mut ops = Instructions::new(script);
    let first = ops.next()?.ok()?;
    let required = script_number(&first, 1, MAX_MULTISIG_KEYS)?;
    let mut keys = 0i64;
    let last = loop {
        let op = ops.next()?.ok()?;
        match op.data {
            Some(data) if is_valid_pubkey_size(data) => keys += 1,
            _ => break op,
        }
    };
    let count = script_number(&last, required, MAX_MULTISIG_KEYS)?;
    if count != keys {
        return None;
    }
    // The key count must be followed by exactly the final OP_CHECKMULTISIG.
    (ops.position() + 1 == script.len()).then_some(Multisig {
        required: u8::try_from(required).ok()?,
        key_count: u8::try_from(keys).ok()?,
        script,
    })
}

/// Bitcoin Core's `GetScriptNumber`: OP_1..OP_16 or a minimally pushed number in range.
fn script_number(op: &Instruction<'_>, min: i64, max: i64) -> Option<i64> {
    let value = if (OP_1..=OP_16).contains(&op.opcode) {
        i64::from(op.opcode - OP_1 + 1)
    } else {
        let data = op.data.filter(|_| op.opcode != OP_0)?;
        if !is_minimal_push(op.opcode, data) || data.len() > 4 || !is_minimal_number(data) {
            return None;
        }
        decode_script_num(data)
    };
    (min..=max).contains(&value).then_some(value)
}

/// Bitcoin Core's `CheckMinimalPush`.
fn is_minimal_push(opcode: u8, data: &[u8]) -> bool {
    match data.len() {
        0 => opcode == OP_0,
        1 if (1..=16).contains(&data[0]) => false,
        1 if data[0] == 0x81 => false,
        len if len <= 75 => usize::from(opcode) == len,
        len if len <= 255 => opcode == OP_PUSHDATA1,
        len if len <= 65535 => opcode == OP_PUSHDATA2,
        _ => true,
    }
}

/// Whether `data` is a minimally encoded script number (`CScriptNum` with `fRequireMinimal`).
fn is_minimal_number(data: &[u8]) -> bool {
    match data {
        [] => true,
        [.., last] if last & 0x7f != 0 => true,
        [_] => false,
        [.., prev, _] => prev & 0x80 != 0,
    }
}

/// Decodes a little-endian sign-magnitude script number of at most 8 bytes.
fn decode_script_num(data: &[u8]) -> i64 {
    let Some(&last) = data.last() else { return 0 };
    let mut value: i64 = 0;
    for (i, &byte) in data.iter().enumerate().take(8) {
        value |= i64::from(byte) << (8 * i);
    }
    if last & 0x80 != 0 {
        let sign_bit = 0x80i64 << (8 * (data.len().min(8) - 1));
        -(value & !sign_bit)
    } else {
        value
    }
}

/// True when every operation is a push (opcodes up to OP_16, OP_RESERVED included,
/// as in Bitcoin Core's `IsPushOnly`) and the script parses.
pub fn is_push_only(script: &[u8]) -> bool {
    Instructions::new(script).all(|op| matches!(op, Ok(op) if op.opcode <= OP_16))
}

/// One script operation: an opcode and, for pushes, the pushed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instruction<'a> {
    /// The opcode byte.
    pub opcode: u8,
    /// The pushed bytes for OP_0 and the push opcodes (up to OP_PUSHDATA4).
    pub data: Option<&'a [u8]>,
}

/// A push opcode whose length runs past the end of the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TruncatedPush;

/// Iterator over a script's operations (Bitcoin Core's `GetOp`). Yields one
/// `Err(TruncatedPush)` and stops if a push runs past the end.
#[derive(Debug, Clone)]
pub struct Instructions<'a> {
    script: &'a [u8],
    pos: usize,
}

impl<'a> Instructions<'a> {
    /// Walks `script` from its start.
    pub fn new(script: &'a [u8]) -> Self {
        Self { script, pos: 0 }
    }

    /// Byte offset of the next operation.
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Instructions<'a> {
    type Item = Result<Instruction<'a>, TruncatedPush>;

    fn next(&mut self) -> Option<Self::Item> {
        let opcode = *self.script.get(self.pos)?;
        self.pos += 1;
        if opcode > OP_PUSHDATA4 {
            return Some(Ok(Instruction { opcode, data: None }));
        }
        let rest = &self.script[self.pos..];
        let (len_size, len): (usize, Option<usize>) = match opcode {
            OP_PUSHDATA1 => (1, rest.first().map(|&b| usize::from(b))),
            OP_PUSHDATA2 => (2, rest.get(..2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))),
            OP_PUSHDATA4 => {
                (4, rest.get(..4).and_then(|b| usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok()))
            }
            n => (0, Some(usize::from(n))),
        };
        let data = len.and_then(|len| rest.get(len_size..len_size.checked_add(len)?));
        match data {
            Some(data) => {
                self.pos += len_size + data.len();
                Some(Ok(Instruction { opcode, data: Some(data) }))
            }
            None => {
                self.pos = self.script.len();
                Some(Err(TruncatedPush))
            }
        }
    }
}

/// Renders a script the way Bitcoin Core's `ScriptToAsmStr` does.
///
/// With `decode_sighash` (Core does this for scriptSigs), pushes that are strict-DER
/// signatures show their sighash type as a `[ALL]`-style suffix.
pub fn to_asm(script: &[u8], decode_sighash: bool) -> String {
    let mut out = String::new();
    let unspendable = script.first() == Some(&OP_RETURN) || script.len() > MAX_SCRIPT_SIZE;
    for op in Instructions::new(script) {
        if !out.is_empty() {
            out.push(' ');
        }
        let Ok(op) = op else {
            out.push_str("[error]");
            break;
        };
        match op.data {
            Some(data) if data.len() <= 4 => {
                let n = decode_script_num(data).clamp(i64::from(i32::MIN), i64::from(i32::MAX));
                let _ = write!(out, "{n}");
            }
            Some(data) => {
                let suffix = if decode_sighash && !unspendable { sighash_suffix(data) } else { None };
                match suffix {
                    Some(name) => {
                        out.push_str(&hex::encode(&data[..data.len() - 1]));
                        out.push('[');
                        out.push_str(name);
                        out.push(']');
                    }
                    None => out.push_str(&hex::encode(data)),
                }
            }
            None => out.push_str(opcode_name(op.opcode)),
        }
    }
    out
}

/// The sighash name of a strict-DER signature push, as Core decodes it in asm.
fn sighash_suffix(sig: &[u8]) -> Option<&'static str> {
    if !is_strict_der(sig) {
        return None;
    }
    match sig[sig.len() - 1] {
        0x01 => Some("ALL"),
        0x81 => Some("ALL|ANYONECANPAY"),
        0x02 => Some("NONE"),
        0x82 => Some("NONE|ANYONECANPAY"),
        0x03 => Some("SINGLE"),
        0x83 => Some("SINGLE|ANYONECANPAY"),
        _ => None,
    }
}

/// BIP 66 strict DER signature encoding with a trailing sighash byte
/// (Bitcoin Core's `IsValidSignatureEncoding`).
fn is_strict_der(sig: &[u8]) -> bool {
    let len = sig.len();
    if !(9..=73).contains(&len) || sig[0] != 0x30 || usize::from(sig[1]) != len - 3 {
        return false;
    }
    let len_r = usize::from(sig[3]);
    if 5 + len_r >= len {
        return false;
    }
    let len_s = usize::from(sig[5 + len_r]);
    if len_r + len_s + 7 != len || sig[2] != 0x02 || len_r == 0 || sig[4] & 0x80 != 0 {
        return false;
    }
    if len_r > 1 && sig[4] == 0 && sig[5] & 0x80 == 0 {
        return false;
    }
    if sig[len_r + 4] != 0x02 || len_s == 0 || sig[len_r + 6] & 0x80 != 0 {
        return false;
    }
    !(len_s > 1 && sig[len_r + 6] == 0 && sig[len_r + 7] & 0x80 == 0)
}

/// Bitcoin Core's `GetOpName` for non-push opcodes.
fn opcode_name(opcode: u8) -> &'static str {
    const SMALL: [&str; 16] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16"];
    const NAMES_0X61: [&str; 90] = [
        "OP_NOP",
        "OP_VER",
        "OP_IF",
        "OP_NOTIF",
        "OP_VERIF",
        "OP_VERNOTIF",
        "OP_ELSE",
        "OP_ENDIF",
        "OP_VERIFY",
        "OP_RETURN",
        "OP_TOALTSTACK",
        "OP_FROMALTSTACK",
        "OP_2DROP",
        "OP_2DUP",
        "OP_3DUP",
        "OP_2OVER",
        "OP_2ROT",
        "OP_2SWAP",
        "OP_IFDUP",
        "OP_DEPTH",
        "OP_DROP",
        "OP_DUP",
        "OP_NIP",
        "OP_OVER",
        "OP_PICK",
        "OP_ROLL",
        "OP_ROT",
        "OP_SWAP",
        "OP_TUCK",
        "OP_CAT",
        "OP_SUBSTR",
        "OP_LEFT",
        "OP_RIGHT",
        "OP_SIZE",
        "OP_INVERT",
        "OP_AND",
        "OP_OR",
        "OP_XOR",
        "OP_EQUAL",
        "OP_EQUALVERIFY",
        "OP_RESERVED1",
        "OP_RESERVED2",
        "OP_1ADD",
        "OP_1SUB",
        "OP_2MUL",
        "OP_2DIV",
        "OP_NEGATE",
        "OP_ABS",
        "OP_NOT",
        "OP_0NOTEQUAL",
        "OP_ADD",
        "OP_SUB",
        "OP_MUL",
        "OP_DIV",
        "OP_MOD",
        "OP_LSHIFT",
        "OP_RSHIFT",
        "OP_BOOLAND",
        "OP_BOOLOR",
        "OP_NUMEQUAL",
        "OP_NUMEQUALVERIFY",
        "OP_NUMNOTEQUAL",
        "OP_LESSTHAN",
        "OP_GREATERTHAN",
        "OP_LESSTHANOREQUAL",
        "OP_GREATERTHANOREQUAL",
        "OP_MIN",
        "OP_MAX",
        "OP_WITHIN",
        "OP_RIPEMD160",
        "OP_SHA1",
        "OP_SHA256",
        "OP_HASH160",
        "OP_HASH256",
        "OP_CODESEPARATOR",
        "OP_CHECKSIG",
        "OP_CHECKSIGVERIFY",
        "OP_CHECKMULTISIG",
        "OP_CHECKMULTISIGVERIFY",
        "OP_NOP1",
        "OP_CHECKLOCKTIMEVERIFY",
        "OP_CHECKSEQUENCEVERIFY",
        "OP_NOP4",
        "OP_NOP5",
        "OP_NOP6",
        "OP_NOP7",
        "OP_NOP8",
        "OP_NOP9",
        "OP_NOP10",
        "OP_CHECKSIGADD",
    ];
    match opcode {
        OP_0 => "0",
        OP_PUSHDATA1 => "OP_PUSHDATA1",
        OP_PUSHDATA2 => "OP_PUSHDATA2",
        OP_PUSHDATA4 => "OP_PUSHDATA4",
        OP_1NEGATE => "-1",
        0x50 => "OP_RESERVED",
        OP_1..=OP_16 => SMALL[usize::from(opcode - OP_1)],
        0x61..=0xba => NAMES_0X61[usize::from(opcode - 0x61)],
        0xff => "OP_INVALIDOPCODE",
        _ => "OP_UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn classifies_templates() {
        let cases = [
            ("76a914641ad5051edd97029a003fe9efb29359fcee409d88ac", ScriptClass::P2pkh),
            ("a914641ad5051edd97029a003fe9efb29359fcee409d87", ScriptClass::P2sh),
            ("0014641ad5051edd97029a003fe9efb29359fcee409d", ScriptClass::P2wpkh),
            ("00204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260", ScriptClass::P2wsh),
            ("51204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260", ScriptClass::P2tr),
            ("51024e73", ScriptClass::Anchor),
            ("5210000102030405060708090a0b0c0d0e0f", ScriptClass::WitnessUnknown),
            ("0010000102030405060708090a0b0c0d0e0f", ScriptClass::NonStandard),
            ("6a0568656c6c6f", ScriptClass::NullData),
            ("6a", ScriptClass::NullData),
            ("6a76", ScriptClass::NonStandard),
            ("", ScriptClass::NonStandard),
        ];
        for (script, class) in cases {
            assert_eq!(script_class(&h(script)), class, "{script}");
        }
    }

    #[test]
    fn classifies_multisig_with_keys() {
        let key_a = "02".to_owned() + &"11".repeat(32);
        let key_b = "04".to_owned() + &"22".repeat(64);
        let script = h(&format!("5121{key_a}41{key_b}52ae"));
        let Destination::Multisig(ms) = classify(&script) else { panic!("not multisig") };
        assert_eq!((ms.required, ms.key_count), (1, 2));
        let keys: Vec<String> = ms.keys().map(hex::encode).collect();
        assert_eq!(keys, vec![key_a, key_b]);
        // m > n and a non-key push are not multisig.
        assert_eq!(
            script_class(&h(&format!("5321{}52ae", "02".to_owned() + &"11".repeat(32)))),
            ScriptClass::NonStandard
        );
    }

    #[test]
    fn classifies_p2pk_both_sizes() {
        let compressed = h(&format!("21{}ac", "03".to_owned() + &"aa".repeat(32)));
        let uncompressed = h(&format!("41{}ac", "04".to_owned() + &"aa".repeat(64)));
        assert_eq!(script_class(&compressed), ScriptClass::P2pk);
        assert_eq!(script_class(&uncompressed), ScriptClass::P2pk);
        let bad_prefix = h(&format!("21{}ac", "05".to_owned() + &"aa".repeat(32)));
        assert_eq!(script_class(&bad_prefix), ScriptClass::NonStandard);
    }

    #[test]
    fn asm_matches_core() {
        assert_eq!(
            to_asm(&h("76a914641ad5051edd97029a003fe9efb29359fcee409d88ac"), false),
            "OP_DUP OP_HASH160 641ad5051edd97029a003fe9efb29359fcee409d OP_EQUALVERIFY OP_CHECKSIG"
        );
        assert_eq!(to_asm(&h("0051"), false), "0 1");
        assert_eq!(to_asm(&h("4c"), false), "[error]");
        assert_eq!(to_asm(&h("0281ff"), false), "-32641");
        // A strict-DER signature shows its sighash type.
        let sig = "3046022100a41a9015c847f404a14fcc81bf711ee2ce57583987948d54ebe540aafca97e0d022100d4e30d1ca42f77df8290b8975aa8fc0733d7c0cfdd5067ca516bac6c4012b47a01";
        let script = h(&format!("0049{sig}"));
        assert_eq!(to_asm(&script, true), format!("0 {}[ALL]", &sig[..sig.len() - 2]));
        assert_eq!(to_asm(&script, false), format!("0 {sig}"));
        // A pre-BIP 66 signature with a negative R is not strict DER: plain hex, as in Core.
        let lax = "30440220e8343f8ac7e96582d92a450ce314668db4f7a0e2c94a97aa6df026f93ebee2290220866b5728d4247688d91b4a30144762bc8bfd7f385de7f7d326d665ff5e3e900301";
        assert_eq!(to_asm(&h(&format!("47{lax}")), true), lax);
    }

    #[test]
    fn script_numbers() {
        assert_eq!(decode_script_num(&[]), 0);
        assert_eq!(decode_script_num(&[0x81]), -1);
        assert_eq!(decode_script_num(&[0xff, 0x00]), 255);
        assert!(is_minimal_number(&[0x11]));
        assert!(!is_minimal_number(&[0x11, 0x00]));
        assert!(is_minimal_number(&[0xff, 0x00]));
    }
}
