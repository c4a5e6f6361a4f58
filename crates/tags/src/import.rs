//! Reading label sources: OFAC's per-asset address lists, OFAC's SDN advanced XML,
//! GraphSense TagPacks (YAML) and a simple CSV. Each parser keeps every valid row
//! and reports the others with their line numbers.

use crate::taxonomy::Category;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// A label on one address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Label {
    /// The address as the source gives it (any Bitcoin network's encoding).
    pub address: String,
    /// What it is ("Lazarus Group", "Binance").
    pub label: String,
    /// Its category.
    pub category: Category,
    /// The import it came with (`tags import --source`); re-importing replaces it.
    pub source: String,
    /// Where the source says it comes from (a URL, an SDN profile).
    pub reference: Option<String>,
    /// The date the source gives (YYYY-MM-DD), else the import's.
    pub date: String,
    /// Confidence, 0 to 100 (GraphSense's confidence levels).
    pub confidence: u8,
    /// The actor behind it, when the source names one.
    pub actor: Option<String>,
}

/// A label source format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// OFAC's per-asset lists: one address per line (`.txt`) or a JSON array.
    OfacList,
    /// OFAC's SDN list in the advanced XML schema.
    OfacSdnXml,
    /// A GraphSense TagPack (YAML).
    Tagpack,
    /// `address,label,category[,source[,confidence[,date]]]`.
    Csv,
    /// Not read from a file: inferred from the chain (`tags infer`).
    Inferred,
    /// Not read from a file: added one by one by an investigator (the web UI).
    Investigator,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [Self::OfacList, Self::OfacSdnXml, Self::Tagpack, Self::Csv];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::OfacList => "ofac-list",
            Self::OfacSdnXml => "ofac-sdn-xml",
            Self::Tagpack => "tagpack",
            Self::Csv => "csv",
            Self::Inferred => "inferred",
            Self::Investigator => "investigator",
        }
    }

    /// The format a file's extension suggests (looking through a `.bz2`).
    pub fn guess(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?;
        let name = name.strip_suffix(".bz2").unwrap_or(name);
        match Path::new(name).extension()?.to_str()? {
            "txt" | "json" => Some(Self::OfacList),
            "xml" => Some(Self::OfacSdnXml),
            "yaml" | "yml" => Some(Self::Tagpack),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown format {s:?} (expected {})", Self::ALL.map(Format::name).join(", ")))
    }
}

/// A row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    /// Its line in the file (1-based).
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// What a file held.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Valid labels.
    pub labels: Vec<Label>,
    /// The line each label was read from, in step with `labels`.
    pub lines: Vec<usize>,
    /// Rows left out, with their line numbers.
    pub rejected: Vec<Rejected>,
}

impl Parsed {
    /// Keeps a label read from `line`.
    fn add(&mut self, label: Label, line: usize) {
        self.labels.push(label);
        self.lines.push(line);
    }
}

/// A file that cannot be read at all in the format.
#[derive(Debug, thiserror::Error)]
#[error("not {format}: {reason}")]
pub struct FormatError {
    /// The format tried.
    pub format: Format,
    /// What went wrong (with a line when known).
    pub reason: String,
}

/// GraphSense's confidence levels (the TagPack tool's confidence.csv).
const CONFIDENCE_LEVELS: [(&str, u8); 14] = [
    ("override", 100),
    ("ownership", 100),
    ("ledger_immanent", 100),
    ("manual_transaction", 90),
    ("service_api", 70),
    ("forensic_investigation", 70),
    ("authority_data", 60),
    ("trusted_provider", 50),
    ("service_data", 50),
    ("forensic", 50),
    ("untrusted_transaction", 40),
    ("web_crawl", 20),
    ("heuristic", 10),
    ("unknown", 5),
];

/// A confidence given as a GraphSense level name or a number from 0 to 100.
fn confidence(text: &str) -> Option<u8> {
    let text = text.trim();
    CONFIDENCE_LEVELS
        .iter()
        .find(|l| l.0 == text)
        .map(|l| l.1)
        .or_else(|| text.parse::<u8>().ok().filter(|&c| c <= 100))
}

/// True when `address` is a Bitcoin address of some network.
fn is_bitcoin_address(address: &str) -> bool {
    chain::address::to_script_any_network(address).is_some()
}

/// Line numbers of byte offsets met in increasing order, counting each newline once
/// (an SDN XML file is over 100 MB).
struct Lines<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, offset: 0, line: 1 }
    }

    /// The 1-based line of `offset`.
    fn at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            (self.offset, self.line) = (0, 1);
        }
        self.line += self.text.as_bytes()[self.offset..offset].iter().filter(|&&b| b == b'\n').count();
        self.offset = offset;
        self.line
    }
}

/// Parses `text` in `format`; labels carry `source` and, when the file gives no
/// date, `today`.
///
/// # Errors
/// When the file is not in the format at all (rows that are not valid are
/// reported in [`Parsed::rejected`] instead).
pub fn parse(format: Format, text: &str, source: &str, today: &str) -> Result<Parsed, FormatError> {
    match format {
        Format::OfacList => Ok(ofac_list(text, source, today)),
        Format::OfacSdnXml => sdn_xml(text, source, today),
        Format::Tagpack => tagpack(text, source, today),
        Format::Csv => csv_rows(text, source, today, Subjects::Bitcoin),
        Format::Inferred => {
            Err(FormatError { format, reason: "inferred labels are made by `tags infer`, not read from a file".into() })
        }
        Format::Investigator => Err(FormatError {
            format,
            reason: "an investigator's labels are added in the web UI, not read from a file".into(),
        }),
    }
}

/// What the first column of a CSV names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subjects {
    /// Bitcoin addresses of any network.
    Bitcoin,
    /// Monero on-chain subjects: a one-time output key or a txid (64 hex
    /// digits), or an output as `txid:n`. Monero addresses are not on the chain
    /// (every payment goes to a fresh one-time key), so they cannot be labels.
    Monero,
}

impl Subjects {
    /// True when `subject` is of this kind.
    fn accepts(self, subject: &str) -> bool {
        let hash = |h: &str| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit());
        match self {
            Self::Bitcoin => is_bitcoin_address(subject),
            Self::Monero => match subject.split_once(':') {
                Some((txid, n)) => hash(txid) && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()),
                None => hash(subject),
            },
        }
    }

    /// What a subject of this kind is, for messages.
    fn what(self) -> &'static str {
        match self {
            Self::Bitcoin => "a Bitcoin address",
            Self::Monero => "a Monero output key, txid or txid:n",
        }
    }
}

/// Parses a CSV of `subject,label,category[,source[,confidence[,date]]]` rows
/// whose subjects are of kind `subjects`.
///
/// # Errors
/// When the text is not CSV at all (invalid rows are reported instead).
pub fn parse_csv(text: &str, source: &str, today: &str, subjects: Subjects) -> Result<Parsed, FormatError> {
    csv_rows(text, source, today, subjects)
}

fn ofac_label(address: &str, label: &str, reference: Option<String>, source: &str, today: &str) -> Label {
    Label {
        address: address.to_owned(),
        label: label.to_owned(),
        category: Category::Sanctioned,
        source: source.to_owned(),
        reference,
        date: today.to_owned(),
        confidence: 100,
        actor: None,
    }
}

/// OFAC's per-asset lists (as github.com/0xB10C/ofac-sanctioned-digital-currency-addresses
/// extracts them): one address per line, or a JSON array of addresses.
fn ofac_list(text: &str, source: &str, today: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut add = |address: &str, line: usize| {
        if is_bitcoin_address(address) {
            parsed.add(ofac_label(address, "OFAC SDN list", None, source, today), line);
        } else {
            parsed.rejected.push(Rejected { line, reason: format!("{address:?} is not a Bitcoin address") });
        }
    };
    if text.trim_start().starts_with('[') {
        // A JSON array of strings, one per line as the lists are written.
        for (n, line) in text.lines().enumerate() {
            let item = line.trim().trim_end_matches(',').trim();
            if let Some(address) = item.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                add(address, n + 1);
            }
        }
    } else {
        for (n, line) in text.lines().enumerate() {
            let address = line.trim();
            if !address.is_empty() && !address.starts_with('#') {
                add(address, n + 1);
            }
        }
    }
    parsed
}

/// OFAC's SDN list, advanced XML: every "Digital Currency Address - XBT" feature,
/// labelled with its profile's primary name.
fn sdn_xml(text: &str, source: &str, today: &str) -> Result<Parsed, FormatError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut lines = Lines::new(text);
    let mut sdn = SdnReader::default();
    loop {
        let position = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| sdn_error(format!("line {}: {e}", lines.at(position))))?;
        match event {
            Event::Start(e) => sdn.open(&e),
            Event::End(_) => sdn.close(),
            Event::Text(t) if sdn.wants_text() => {
                let value = t.unescape().map_err(|e| sdn_error(e.to_string()))?.trim().to_owned();
                sdn.take_text(value, &mut lines, position);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    sdn.into_parsed(source, today)
}

/// An error reading the SDN XML.
fn sdn_error(reason: String) -> FormatError {
    FormatError { format: Format::OfacSdnXml, reason }
}

/// What reading the SDN XML has gathered so far, element by element.
#[derive(Default)]
struct SdnReader {
    /// IDs of the "Digital Currency Address - XBT" feature types.
    xbt_types: Vec<String>,
    /// Open elements, outermost first.
    path: Vec<String>,
    /// The ID of the feature type being read.
    feature_type_id: Option<String>,
    /// The ID of the profile being read.
    profile: String,
    /// Name parts of the primary alias being read.
    name_parts: Vec<String>,
    /// Whether the alias being read is the profile's primary one.
    in_primary_alias: bool,
    /// Whether the feature being read is an XBT address.
    feature_is_xbt: bool,
    /// Per profile: its primary name.
    names: std::collections::HashMap<String, String>,
    /// (profile, address, line) of each XBT address met.
    pending: Vec<(String, String, usize)>,
}

impl SdnReader {
    /// A start tag: notes the feature type, profile, alias or feature it opens.
    fn open(&mut self, e: &quick_xml::events::BytesStart<'_>) {
        let tag = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        let attr = |name: &[u8]| {
            e.attributes()
                .flatten()
                .find(|a| a.key.local_name().as_ref() == name)
                .map(|a| String::from_utf8_lossy(&a.value).into_owned())
        };
        match tag.as_str() {
            "FeatureType" => self.feature_type_id = attr(b"ID"),
            "Profile" => {
                self.profile = attr(b"ID").unwrap_or_default();
                self.name_parts.clear();
            }
            "Alias" => self.in_primary_alias = attr(b"Primary").as_deref() == Some("true"),
            "Feature" => {
                self.feature_is_xbt = attr(b"FeatureTypeID").is_some_and(|id| self.xbt_types.contains(&id));
            }
            _ => {}
        }
        self.path.push(tag);
    }

    /// An end tag: pops the path; closing the primary alias names its profile
    /// (the first primary alias wins).
    fn close(&mut self) {
        if self.path.pop().as_deref() == Some("Alias") && self.in_primary_alias {
            self.in_primary_alias = false;
            if !self.names.contains_key(&self.profile) && !self.name_parts.is_empty() {
                self.names.insert(self.profile.clone(), self.name_parts.join(" "));
            }
            self.name_parts.clear();
        }
    }

    /// Whether text here matters: a feature type's name, a primary alias's name
    /// part, an XBT feature's address.
    fn wants_text(&self) -> bool {
        match self.path.last().map(String::as_str) {
            Some("FeatureType") => true,
            Some("NamePartValue") => self.in_primary_alias,
            Some("VersionDetail") => self.feature_is_xbt,
            _ => false,
        }
    }

    /// Keeps a wanted text `value` met at byte `position`.
    fn take_text(&mut self, value: String, lines: &mut Lines<'_>, position: usize) {
        match self.path.last().map(String::as_str) {
            Some("FeatureType") if value == "Digital Currency Address - XBT" => {
                self.xbt_types.extend(self.feature_type_id.clone());
            }
            Some("NamePartValue") => self.name_parts.push(value),
            Some("VersionDetail") if !value.is_empty() => {
                self.pending.push((self.profile.clone(), value, lines.at(position)));
            }
            _ => {}
        }
    }

    /// The labels of the XBT addresses met, named by their profiles.
    fn into_parsed(self, source: &str, today: &str) -> Result<Parsed, FormatError> {
        if self.xbt_types.is_empty() {
            return Err(sdn_error(
                "no \"Digital Currency Address - XBT\" feature type (is this sdn_advanced.xml?)".to_owned(),
            ));
        }
        let mut parsed = Parsed::default();
        for (profile, address, line) in self.pending {
            if is_bitcoin_address(&address) {
                let name = self.names.get(&profile).cloned().unwrap_or_else(|| format!("SDN profile {profile}"));
                parsed
                    .add(ofac_label(&address, &name, Some(format!("OFAC SDN profile {profile}")), source, today), line);
            } else {
                parsed.rejected.push(Rejected { line, reason: format!("{address:?} is not a Bitcoin address") });
            }
        }
        Ok(parsed)
    }
}

/// A GraphSense TagPack: header fields (label, source, category, abuse, confidence,
/// actor, currency, lastmod) apply to every tag that does not set its own.
fn tagpack(text: &str, source: &str, today: &str) -> Result<Parsed, FormatError> {
    use yaml_rust2::{Yaml, YamlLoader};
    let error = |reason: String| FormatError { format: Format::Tagpack, reason };
    yaml_bounds(text).map_err(error)?;
    let docs = YamlLoader::load_from_str(text).map_err(|e| error(e.to_string()))?;
    let header = docs.first().and_then(Yaml::as_hash).ok_or_else(|| error("not a YAML mapping".to_owned()))?;
    let tags = header
        .get(&Yaml::from_str("tags"))
        .and_then(Yaml::as_vec)
        .ok_or_else(|| error("no `tags:` list".to_owned()))?;
    let mut parsed = Parsed::default();
    let mut tag_lines = TagLines { text, lines: Lines::new(text), search_from: 0 };
    for (k, tag) in tags.iter().enumerate() {
        let Some(tag) = tag.as_hash() else {
            parsed.rejected.push(Rejected { line: 0, reason: format!("tag {} is not a mapping", k + 1) });
            continue;
        };
        let fields = TagFields { tag, header };
        let address = fields.get("address").unwrap_or_default();
        let line = tag_lines.line_of(&address);
        match fields.label(address, source, today) {
            Ok(label) => parsed.add(label, line),
            Err(reason) => parsed.rejected.push(Rejected { line, reason }),
        }
    }
    Ok(parsed)
}

/// Line numbers of a TagPack's tags: where each tag's address appears, in
/// file order.
struct TagLines<'a> {
    text: &'a str,
    lines: Lines<'a>,
    /// Where the next address is looked for.
    search_from: usize,
}

impl TagLines<'_> {
    /// The line of the next tag, whose address is `address` (the line searched
    /// from when it is empty or not found).
    fn line_of(&mut self, address: &str) -> usize {
        match self.text[self.search_from..].find(address).filter(|_| !address.is_empty()) {
            Some(at) => {
                self.search_from += at + address.len();
                self.lines.at(self.search_from)
            }
            None => self.lines.at(self.search_from),
        }
    }
}

/// A TagPack tag's fields, falling back to the header's.
struct TagFields<'a> {
    tag: &'a yaml_rust2::yaml::Hash,
    header: &'a yaml_rust2::yaml::Hash,
}

impl TagFields<'_> {
    /// Field `key` as text (a string, number or boolean).
    fn get(&self, key: &str) -> Option<String> {
        use yaml_rust2::Yaml;
        let key = Yaml::from_str(key);
        let value = self.tag.get(&key).or_else(|| self.header.get(&key))?;
        match value {
            Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
            Yaml::Integer(i) => Some(i.to_string()),
            Yaml::Boolean(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The tag's label on `address`, or why it has none.
    fn label(&self, address: String, source: &str, today: &str) -> Result<Label, String> {
        if address.is_empty() {
            return Err("tag without an address".to_owned());
        }
        if let Some(currency) = self.get("currency").filter(|c| !c.eq_ignore_ascii_case("btc")) {
            return Err(format!("currency {currency}, not BTC"));
        }
        if !is_bitcoin_address(&address) {
            return Err(format!("{address:?} is not a Bitcoin address"));
        }
        let label = self.get("label").ok_or_else(|| "no label (neither the tag nor the header has one)".to_owned())?;
        let category = Category::from_tagpack(self.get("category").as_deref(), self.get("abuse").as_deref());
        let confidence = match self.get("confidence") {
            Some(c) => confidence(&c).ok_or_else(|| format!("unknown confidence {c:?}"))?,
            None => CONFIDENCE_LEVELS.iter().find(|l| l.0 == "unknown").map_or(5, |l| l.1),
        };
        Ok(Label {
            address,
            label,
            category,
            source: source.to_owned(),
            reference: self.get("source"),
            date: self.get("lastmod").unwrap_or_else(|| today.to_owned()),
            confidence,
            actor: self.get("actor"),
        })
    }
}

/// Nodes a YAML file may hold once its aliases are expanded, beyond
/// [`YAML_EXPANSION`] times the nodes written out.
const YAML_EXTRA_NODES: u64 = 100_000;
/// How many times its own nodes a YAML file may expand to through aliases.
const YAML_EXPANSION: u64 = 4;
/// Deepest nesting of YAML collections.
const YAML_DEPTH: usize = 64;

/// Counts what loading `text` would build before it is loaded: a file whose
/// aliases would expand it beyond a small multiple of itself (a "billion
/// laughs" file of a few hundred bytes grows to gigabytes), or that nests
/// deeper than [`YAML_DEPTH`], is refused naming the line.
fn yaml_bounds(text: &str) -> Result<(), String> {
    use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
    use yaml_rust2::scanner::Marker;
    #[derive(Default)]
    struct Count {
        written: u64,
        expanded: u64,
        /// Expanded nodes under each anchor id.
        anchors: Vec<u64>,
        /// Open collections: their anchor id and `expanded` where they began.
        open: Vec<(usize, u64)>,
        refused: Option<String>,
    }
    impl Count {
        fn anchor(&mut self, id: usize, nodes: u64) {
            if id > 0 {
                if self.anchors.len() <= id {
                    self.anchors.resize(id + 1, 0);
                }
                self.anchors[id] = nodes;
            }
        }
    }
    impl MarkedEventReceiver for Count {
        fn on_event(&mut self, event: Event, mark: Marker) {
            if self.refused.is_some() {
                return;
            }
            match event {
                Event::Scalar(_, _, id, _) => {
                    self.written += 1;
                    self.expanded += 1;
                    self.anchor(id, 1);
                }
                Event::SequenceStart(id, _) | Event::MappingStart(id, _) => {
                    self.written += 1;
                    self.expanded += 1;
                    self.open.push((id, self.expanded - 1));
                    if self.open.len() > YAML_DEPTH {
                        self.refused = Some(format!("line {}: nested deeper than {YAML_DEPTH} levels", mark.line()));
                    }
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    if let Some((id, start)) = self.open.pop() {
                        self.anchor(id, self.expanded - start);
                    }
                }
                Event::Alias(id) => {
                    self.expanded = self.expanded.saturating_add(self.anchors.get(id).copied().unwrap_or(0));
                }
                _ => {}
            }
            if self.refused.is_none() && self.expanded > self.written * YAML_EXPANSION + YAML_EXTRA_NODES {
                self.refused = Some(format!(
                    "line {}: aliases expand the file to more than {} nodes ({} written): refused",
                    mark.line(),
                    self.written * YAML_EXPANSION + YAML_EXTRA_NODES,
                    self.written
                ));
            }
        }
    }
    let mut count = Count::default();
    // Syntax errors are left for the loader to report.
    let _ = Parser::new_from_str(text).load(&mut count, true);
    count.refused.map_or(Ok(()), Err)
}

/// `address,label,category[,source[,confidence[,date]]]`, a header row allowed.
fn csv_rows(text: &str, source: &str, today: &str, subjects: Subjects) -> Result<Parsed, FormatError> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut parsed = Parsed::default();
    for (n, row) in reader.records().enumerate() {
        let row = row.map_err(|e| FormatError { format: Format::Csv, reason: e.to_string() })?;
        let line = row.position().map_or(n + 1, |p| p.line() as usize);
        if n == 0 && matches!(row.get(0), Some("address" | "subject")) {
            continue;
        }
        if row.iter().all(str::is_empty) || row.get(0).is_some_and(|f| f.starts_with('#')) {
            continue;
        }
        let mut reject = |reason: String| parsed.rejected.push(Rejected { line, reason });
        let (Some(address), Some(label), Some(category)) = (row.get(0), row.get(1), row.get(2)) else {
            reject("expected address,label,category".to_owned());
            continue;
        };
        if !subjects.accepts(address) {
            reject(format!("{address:?} is not {}", subjects.what()));
            continue;
        }
        let category = match category.parse::<Category>() {
            Ok(c) => c,
            Err(e) => {
                reject(e.to_string());
                continue;
            }
        };
        let confidence = match row.get(4).filter(|c| !c.is_empty()) {
            Some(c) => match confidence(c) {
                Some(c) => c,
                None => {
                    reject(format!("confidence {c:?} is not 0-100 or a GraphSense level"));
                    continue;
                }
            },
            None => 50,
        };
        parsed.add(
            Label {
                address: address.to_owned(),
                label: label.to_owned(),
                category,
                source: source.to_owned(),
                reference: row.get(3).filter(|s| !s.is_empty()).map(str::to_owned),
                date: row.get(5).filter(|s| !s.is_empty()).unwrap_or(today).to_owned(),
                confidence,
                actor: None,
            },
            line,
        );
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_keeps_valid_rows_and_reports_the_others_by_line() {
        let text = "address,label,category,source\n\
                    1Archive1n2C579dMsAu3iC6tWzuQJz8dN,Internet Archive,other,https://archive.org\n\
                    not-an-address,x,exchange\n\
                    bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6,Some exchange,exchange,,90,2024-01-02\n\
                    1Archive1n2C579dMsAu3iC6tWzuQJz8dN,bad category,pizza\n";
        let parsed = parse(Format::Csv, text, "mine", "2026-11-28").unwrap();
        assert_eq!(parsed.labels.len(), 2);
        assert_eq!(parsed.labels[1].confidence, 90);
        assert_eq!(parsed.labels[1].date, "2024-01-02");
        assert_eq!(parsed.labels[0].reference.as_deref(), Some("https://archive.org"));
        let lines: Vec<usize> = parsed.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 5]);
    }

    #[test]
    fn tagpack_tags_inherit_the_header() {
        let text = "title: t\nlabel: Lazarus group\nabuse: sanction\ncategory: user\nconfidence: authority_data\n\
                    lastmod: 2022-04-15\nsource: https://home.treasury.gov\ntags:\n\
                    - address: 1Archive1n2C579dMsAu3iC6tWzuQJz8dN\n\
                    - address: 0x8589427373D6D84E98730D7795D8f6f8731FDA16\n  currency: ETH\n\
                    - address: 3KfKiJT5vNAdsmCLVXagSm9GKtiQRsYxEo\n  label: own label\n  confidence: 90\n";
        let parsed = parse(Format::Tagpack, text, "tp", "2026-11-28").unwrap();
        assert_eq!(parsed.labels.len(), 2);
        let first = &parsed.labels[0];
        assert_eq!(
            (first.label.as_str(), first.category, first.confidence),
            ("Lazarus group", Category::Sanctioned, 60)
        );
        assert_eq!(first.date, "2022-04-15");
        assert_eq!(first.reference.as_deref(), Some("https://home.treasury.gov"));
        assert_eq!((parsed.labels[1].label.as_str(), parsed.labels[1].confidence), ("own label", 90));
        assert_eq!(parsed.rejected, vec![Rejected { line: 10, reason: "currency ETH, not BTC".to_owned() }]);
    }

    #[test]
    fn yaml_aliases_cannot_blow_up_a_tagpack() {
        // Nine levels of ten aliases each: 10^9 nodes from a few hundred bytes.
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for n in 1..10 {
            let p = n - 1;
            text += &format!("a{n}: &a{n} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n");
        }
        text += "tags: []\n";
        assert!(text.len() < 1_000);
        let err = tagpack(&text, "t", "2026-01-01").unwrap_err().reason;
        assert!(err.contains("aliases expand") && err.starts_with("line "), "{err}");
        let deep = format!("{}x{}", "[".repeat(100), "]".repeat(100));
        let err = tagpack(&deep, "t", "2026-01-01").unwrap_err().reason;
        assert!(err.contains("nested deeper than 64"), "{err}");
        // An alias or two, as a TagPack's shared fields may use, is fine.
        let fine = "label: &l Lazarus\ncategory: exchange\ntags:\n  - address: 16ti2EXaae5izfkUZ1Zc59HMcsdnHpP5QJ\n    actor: *l\n";
        let parsed = tagpack(fine, "t", "2026-01-01").unwrap();
        assert_eq!(parsed.labels[0].actor.as_deref(), Some("Lazarus"));
    }
}
